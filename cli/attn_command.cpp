// qkv attn --checkpoint FILE --text S [--out DIR] [--layer N]: per-layer, per-head
// attention heatmaps (PNG via gnuplot; CSV matrices without it) of a GPT checkpoint.
#include <fmt/core.h>

#include "autograd/error.h"
#include "cli/commands.h"
#include "train/heatmap.h"
#include "train/model_io.h"

namespace qkv::cli {

namespace {
struct AttnArgs {
  std::string checkpoint, text, out = "attn";
  int64_t layer = -1;
};
}  // namespace

Runner add_attn_command(CLI::App& app) {
  auto a = std::make_shared<AttnArgs>();
  CLI::App* sub = app.add_subcommand("attn", "attention heatmaps of a checkpoint on a text: one PNG per layer and head");
  sub->add_option("--checkpoint", a->checkpoint, "a checkpoint written by qkv train")->required();
  sub->add_option("--text", a->text, "the text to run (at most block_size tokens are used)")->required();
  sub->add_option("--out", a->out, "folder for layer<l>-head<h>.png (default: attn)");
  sub->add_option("--layer", a->layer, "only this layer (default: all)")->check(CLI::NonNegativeNumber);
  return [a] {
    LoadedModel m = load_model(a->checkpoint);
    std::vector<int32_t> ids = m.tokenizer->encode(a->text);
    check(!ids.empty(), "attn: --text is empty");
    const int64_t T = m.model->config().block_size;
    if (static_cast<int64_t>(ids.size()) > T) {
      fmt::print("attn: the text has {} tokens; using the first {} (block_size)\n", ids.size(), T);
      ids.resize(static_cast<size_t>(T));
    }
    std::optional<int64_t> layer;
    if (a->layer >= 0) layer = a->layer;
    std::vector<std::string> paths = write_attention_maps(*m.model, *m.tokenizer, ids, a->out, layer);
    for (const std::string& p : paths) fmt::print("{}\n", p);
    if (!paths.empty() && paths.front().ends_with(".csv"))
      fmt::print("gnuplot not found: wrote the attention matrices as CSV (rows: queries, columns: keys)\n");
    return 0;
  };
}

}  // namespace qkv::cli
