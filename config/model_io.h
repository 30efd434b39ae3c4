// Building a model from a run config, and rebuilding config, tokenizer and weights from
// a checkpoint (what sample, translate, eval, attn and --resume need).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "data/pair_batcher.h"
#include "data/tokenizer.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"
#include "io/checkpoint.h"
#include "config/config.h"

namespace qkv {

// A GPT for cfg (model.kind = "gpt") with the tokenizer's vocabulary.
std::unique_ptr<nn::GPT> build_gpt(const RunConfig& cfg, int64_t vocab_size);
// An encoder-decoder for cfg (model.kind = "seq2seq"): the tokenizer's vocabulary plus
// pad, bos and eos (data/pair_batcher.h's special_ids).
std::unique_ptr<nn::Seq2Seq> build_seq2seq(const RunConfig& cfg, int64_t tokenizer_vocab_size);

struct LoadedModel {
  std::string path;
  RunConfig config;
  Checkpoint checkpoint;
  std::unique_ptr<data::Tokenizer> tokenizer;
  std::unique_ptr<nn::GPT> model;        // model.kind = "gpt"
  std::unique_ptr<nn::Seq2Seq> seq2seq;  // model.kind = "seq2seq"

  // The model a command needs; an error naming the command and the file when the
  // checkpoint holds the other kind.
  nn::GPT& gpt(std::string_view command) const;
  nn::Seq2Seq& translator(std::string_view command) const;
  data::SpecialIds special_ids() const { return data::special_ids(tokenizer->vocab_size()); }
};

// Loads a checkpoint and rebuilds its model (weights loaded, eval mode).
LoadedModel load_model(const std::string& checkpoint_path);

}  // namespace qkv
