// qkv attn --checkpoint FILE --text S [--out DIR] [--layer N]: per-layer, per-head
// attention heatmaps (PNG via gnuplot; CSV matrices without it). A GPT's self-attention
// over the text; for a seq2seq checkpoint the text is the source sentence, and the maps
// are the encoder's self-attention and the decoder's self- and cross-attention while it
// reads the model's own translation (or --target).
#include <fmt/core.h>

#include "base/error.h"
#include "cli/bounds.h"
#include "cli/commands.h"
#include "io/output_folder.h"
#include "study/heatmap.h"
#include "config/model_io.h"

namespace qkv::cli {

namespace {
struct AttnArgs {
  std::string checkpoint, text, target, out = "attn";
  int64_t layer = -1;
};

// At most `limit` ids, saying so when the text was longer.
std::vector<int32_t> cropped(std::vector<int32_t> ids, int64_t limit, const char* what) {
  if (static_cast<int64_t>(ids.size()) > limit) {
    fmt::print("attn: the {} has {} tokens; using the first {}\n", what, ids.size(), limit);
    ids.resize(static_cast<size_t>(limit));
  }
  return ids;
}

}  // namespace

Runner add_attn_command(CLI::App& app) {
  auto a = std::make_shared<AttnArgs>();
  CLI::App* sub = app.add_subcommand("attn", "attention heatmaps of a checkpoint on a text: one PNG per layer and head");
  sub->add_option("--checkpoint", a->checkpoint, "a checkpoint written by qkv train")->required();
  sub->add_option("--text", a->text, "the text to run; for a seq2seq model, the source sentence")->required();
  sub->add_option("--target", a->target, "seq2seq: the target the decoder reads (default: the model's translation)");
  sub->add_option("--out", a->out, "folder for the pictures (default: attn)")->check(non_empty("a folder"));
  sub->add_option("--layer", a->layer, "only this layer (default: all)")->check(bounded(0));
  return [a] {
    LoadedModel m = load_model(a->checkpoint);
    QKV_CHECK(!a->text.empty(), "attn: --text is empty");
    create_output_folder(a->out, "attn");
    std::optional<int64_t> layer;
    if (a->layer >= 0) layer = a->layer;
    std::vector<std::string> paths;
    if (m.seq2seq) {
      std::string translation;
      paths = write_translation_attention_maps(*m.seq2seq, *m.tokenizer, a->text, a->target, a->out, layer, &translation);
      if (a->target.empty()) fmt::print("translation: {}\n", translation);
    } else {
      QKV_CHECK(a->target.empty(), "attn: --target is for seq2seq checkpoints; {} holds a GPT", a->checkpoint);
      const nn::GPT& model = m.gpt("attn");
      std::vector<int32_t> ids = cropped(m.tokenizer->encode(a->text), model.config().block_size, "text");
      paths = write_attention_maps(model, *m.tokenizer, ids, a->out, layer);
    }
    for (const std::string& p : paths) fmt::print("{}\n", p);
    if (!paths.empty() && paths.front().ends_with(".csv"))
      fmt::print("gnuplot not found: wrote the attention matrices as CSV (rows: queries, columns: keys)\n");
    return 0;
  };
}

}  // namespace qkv::cli
