#include "study/heatmap.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/tape.h"
#include "io/csv.h"
#include "io/output_folder.h"
#include "io/plot.h"
#include "infer/translate.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {

bool plot_png(const std::vector<double>& m, int64_t T, int64_t S, const std::vector<std::string>& queries,
              const std::vector<std::string>& keys, const std::string& png, const std::string& title) {
  // About 14 pixels a cell, so every token label stays readable.
  const int64_t width = std::max<int64_t>(480, 14 * S + 200), height = std::max<int64_t>(400, 14 * T + 160);
  std::ostringstream script;
  script << "set terminal pngcairo noenhanced size " << width << "," << height << " font 'DejaVu Sans,8'\n"
         << "set output " << gnuplot_quoted(png) << "\n"
         << "set title " << gnuplot_quoted(title) << "\n"
         << "set xlabel 'key'\nset ylabel 'query'\n"
         << "set xtics " << gnuplot_tic_labels(keys) << " rotate by 90 right scale 0\n"
         << "set ytics " << gnuplot_tic_labels(queries) << " scale 0\n"
         << fmt::format("set xrange [-0.5:{}]\nset yrange [{}:-0.5]\n", S - 0.5, T - 0.5)
         << "set cbrange [0:1]\nset palette defined (0 'white', 0.5 '#4a90d9', 1 '#08306b')\n"
         << "$W << EOD\n";
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t s = 0; s < S; ++s) script << (s ? " " : "") << fmt::format("{:.6g}", m[t * S + s]);
    script << "\n";
  }
  script << "EOD\nplot $W matrix with image notitle\n";
  return run_gnuplot(script.str());
}

void write_csv(const std::vector<double>& m, int64_t T, int64_t S, const std::vector<std::string>& queries,
               const std::vector<std::string>& keys, const std::string& path) {
  std::ofstream out(path);
  QKV_CHECK(static_cast<bool>(out), "heatmap: cannot write {}", path);
  out << "query\\key";
  for (const std::string& k : keys) out << "," << csv_field(k);
  out << "\n";
  for (int64_t t = 0; t < T; ++t) {
    out << csv_field(queries[t]);
    for (int64_t s = 0; s < S; ++s) out << fmt::format(",{:.6g}", m[t * S + s]);
    out << "\n";
  }
}

}  // namespace

std::string token_label(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == ' ') out += "·";
    else if (c == '\n') out += "↵";
    else if (c == '\t') out += "→";
    else out += c;
  }
  return out;
}

std::string write_heatmap(const Tensor& weights, const std::vector<std::string>& query_tokens,
                          const std::vector<std::string>& key_tokens, const std::string& path_stem,
                          const std::string& title) {
  QKV_CHECK(weights.defined() && weights.dim() == 2, "heatmap: expected weights [T,S], got {}",
        weights.defined() ? describe(weights) : std::string("an undefined tensor"));
  const int64_t T = weights.size(0), S = weights.size(1);
  QKV_CHECK(static_cast<int64_t>(query_tokens.size()) == T && static_cast<int64_t>(key_tokens.size()) == S,
        "heatmap: {} query and {} key labels for weights {}", query_tokens.size(), key_tokens.size(),
        describe(weights));
  const std::vector<double> m = weights.to_vector<double>();
  if (!fs::path(path_stem).parent_path().empty()) create_output_folder(fs::path(path_stem).parent_path().string(), "heatmap");
  const std::string png = path_stem + ".png";
  if (gnuplot_available() && plot_png(m, T, S, query_tokens, key_tokens, png, title)) return png;
  const std::string csv = path_stem + ".csv";
  write_csv(m, T, S, query_tokens, key_tokens, csv);
  return csv;
}

namespace {

// Checks `layer` against a model of L layers and returns the layers to draw.
std::pair<int64_t, int64_t> layer_range(std::optional<int64_t> layer, int64_t L) {
  QKV_CHECK(!layer || (*layer >= 0 && *layer < L), "attn: layer {} does not exist (the model has {} layers)",
        layer.value_or(0), L);
  return layer ? std::pair{*layer, *layer + 1} : std::pair{int64_t{0}, L};
}

// One picture per head of weights [1, H, Tq, Tk]: DIR/layer<l>-head<h>, or
// DIR/<kind>-layer<l>-head<h> titled "<kind> layer l, head h" for a named attention.
void write_heads(const Tensor& w, int64_t l, const std::vector<std::string>& queries,
                 const std::vector<std::string>& keys, const std::string& dir, const std::string& kind,
                 std::vector<std::string>& written) {
  const int64_t Tq = w.size(2), Tk = w.size(3);
  const std::string stem_prefix = kind.empty() ? "" : kind + "-", title_prefix = kind.empty() ? "" : kind + " ";
  for (int64_t h = 0; h < w.size(1); ++h) {
    Tensor head = w.slice(0, 0, 1).slice(1, h, h + 1).reshape({Tq, Tk});
    std::string stem = (fs::path(dir) / fmt::format("{}layer{}-head{}", stem_prefix, l, h)).string();
    written.push_back(write_heatmap(head, queries, keys, stem, fmt::format("{}layer {}, head {}", title_prefix, l, h)));
  }
}

std::vector<std::string> token_labels(const data::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  std::vector<std::string> labels;
  for (int32_t id : ids) labels.push_back(token_label(tokenizer.decode(std::span<const int32_t>(&id, 1))));
  return labels;
}

Tensor id_row(const std::vector<int64_t>& ids) {
  return Tensor::from(ids, {1, static_cast<int64_t>(ids.size())});
}

}  // namespace

std::vector<std::string> write_attention_maps(const nn::GPT& model, const data::Tokenizer& tokenizer,
                                              const std::vector<int32_t>& ids, const std::string& dir,
                                              std::optional<int64_t> layer) {
  const int64_t T = static_cast<int64_t>(ids.size());
  QKV_CHECK(T > 0 && T <= model.config().block_size, "attn: the text has {} tokens; expected 1 to block_size = {}", T,
        model.config().block_size);
  const auto [first, last] = layer_range(layer, model.config().n_layer);
  std::vector<Tensor> weights;  // per layer [1, H, T, T]
  {
    NoGradGuard no_grad;
    model.forward(id_row(std::vector<int64_t>(ids.begin(), ids.end())), nullptr, &weights);
  }
  const std::vector<std::string> labels = token_labels(tokenizer, ids);
  std::vector<std::string> written;
  for (int64_t l = first; l < last; ++l) write_heads(weights[l], l, labels, labels, dir, "", written);
  return written;
}

std::vector<std::string> write_translation_attention_maps(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer,
                                                          const std::string& source, const std::string& target,
                                                          const std::string& dir, std::optional<int64_t> layer,
                                                          std::string* translation) {
  const data::SpecialIds ids = data::special_ids(tokenizer.vocab_size());
  const std::string decoder_text = target.empty() ? translate(model, tokenizer, ids, {source}).text.at(0) : target;
  if (translation) *translation = decoder_text;
  const auto room = static_cast<size_t>(model.config().block_size - 1);  // for </s> (source) or <s> (target)
  std::vector<int32_t> src = tokenizer.encode(source), tgt = tokenizer.encode(decoder_text);
  QKV_CHECK(!src.empty(), "attn: the source text is empty");
  src.resize(std::min(src.size(), room));
  tgt.resize(std::min(tgt.size(), room));
  const auto [first, last] = layer_range(layer, model.config().n_layer);

  std::vector<int64_t> tgt_ids{ids.bos};
  tgt_ids.insert(tgt_ids.end(), tgt.begin(), tgt.end());
  std::vector<Tensor> self, cross, decoder_self;  // per layer [1, H, S, S], [1, H, T, S], [1, H, T, T]
  {
    NoGradGuard no_grad;
    Tensor src_row = data::frame_sources({&src}, ids);
    model.decode(id_row(tgt_ids), model.encode(src_row, nullptr, &self), src_row, nullptr, &cross, &decoder_self);
  }
  std::vector<std::string> source_labels = token_labels(tokenizer, src), target_labels{"<s>"};
  source_labels.push_back("</s>");
  for (std::string& l : token_labels(tokenizer, tgt)) target_labels.push_back(std::move(l));
  std::vector<std::string> written;
  for (int64_t l = first; l < last; ++l) {
    write_heads(self[l], l, source_labels, source_labels, dir, "encoder", written);
    write_heads(decoder_self[l], l, target_labels, target_labels, dir, "decoder", written);
    write_heads(cross[l], l, target_labels, source_labels, dir, "cross", written);
  }
  return written;
}

}  // namespace qkv
