// qkv sample --checkpoint FILE [--prompt S] [--tokens N] [--temperature T] [--top-k K] [--seed N]
#include <fmt/core.h>

#include "cli/bounds.h"
#include "cli/commands.h"
#include "infer/generate.h"
#include "config/model_io.h"

namespace qkv::cli {

namespace {
struct SampleArgs {
  std::string checkpoint, prompt = "\n";
  SampleOptions opt;
  bool no_cache = false;
};
}  // namespace

Runner add_sample_command(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  CLI::App* sub = app.add_subcommand("sample", "generate text from a checkpoint (with the key/value cache)");
  sub->add_option("--checkpoint", a->checkpoint, "a checkpoint written by qkv train")->required();
  sub->add_option("--prompt", a->prompt, "text to continue (default: a newline)");
  sub->add_option("--tokens", a->opt.max_new_tokens, "tokens to generate")->check(bounded(0, kMaxNewTokens));
  sub->add_option("--temperature", a->opt.temperature, "0 picks the most likely token")->check(bounded(0));
  sub->add_option("--top-k", a->opt.top_k, "sample among the K most likely tokens (0: all)")->check(bounded(0));
  sub->add_option("--seed", a->opt.seed, "random seed");
  sub->add_flag("--no-cache", a->no_cache, "recompute the whole context for every token (slower; for comparison)");
  return [a] {
    LoadedModel m = load_model(a->checkpoint);
    SampleOptions opt = a->opt;
    opt.use_cache = !a->no_cache;
    std::vector<int32_t> ids = m.tokenizer->encode(a->prompt);
    std::vector<int32_t> out = generate(m.gpt("sample"), ids, opt);
    fmt::print("{}\n", m.tokenizer->decode(out));
    return 0;
  };
}

}  // namespace qkv::cli
