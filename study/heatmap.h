// Attention heatmaps: one picture per (layer, head), query tokens down the y axis and key
// tokens along the x axis, drawn by gnuplot into a PNG. Without gnuplot the matrix is
// written as CSV instead (tokens as the header row and the first column), and the
// caller is told so through the returned paths (.csv instead of .png).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"

namespace qkv {

// A token as an axis label: spaces, newlines and tabs made visible ("·", "↵", "→").
std::string token_label(const std::string& text);

// Writes weights [T, S] (rows: queries, columns: keys; any float dtype) as
// `path_stem`.png via gnuplot, or `path_stem`.csv without it. Returns the path written.
// Errors name the shapes when the labels do not match the matrix.
std::string write_heatmap(const Tensor& weights, const std::vector<std::string>& query_tokens,
                          const std::vector<std::string>& key_tokens, const std::string& path_stem,
                          const std::string& title);

// Runs `model` on ids (one sequence, at most block_size tokens) and writes the attention
// weights of every head of the chosen layers (all when `layer` is empty) as
// DIR/layer<l>-head<h>.png (or .csv). Returns the paths, layer by layer, head by head.
std::vector<std::string> write_attention_maps(const nn::GPT& model, const data::Tokenizer& tokenizer,
                                              const std::vector<int32_t>& ids, const std::string& dir,
                                              std::optional<int64_t> layer = std::nullopt);

// A translation's attention: the encoder's self-attention over the source
// (DIR/encoder-layer<l>-head<h>), the decoder's self-attention over the target's past
// (DIR/decoder-layer<l>-head<h>; with attention.merged, its running average as one map)
// and its cross-attention from each target position to the source
// (DIR/cross-layer<l>-head<h>). Target rows are what the decoder reads: <s>, then the
// target's tokens; source columns are the source's tokens, then </s>. `target` empty:
// the model's own greedy translation of `source`, returned through `translation`. Both
// texts are cut to block_size - 1 tokens.
std::vector<std::string> write_translation_attention_maps(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer,
                                                          const std::string& source, const std::string& target,
                                                          const std::string& dir,
                                                          std::optional<int64_t> layer = std::nullopt,
                                                          std::string* translation = nullptr);

}  // namespace qkv
