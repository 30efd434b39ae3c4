// qkv translate --checkpoint FILE [--beam N] < source.txt > target.txt: one translation
// per input line, in order, with a seq2seq checkpoint.
#include <fmt/core.h>

#include <iostream>

#include "base/error.h"
#include "cli/bounds.h"
#include "cli/commands.h"
#include "config/memory_budget.h"
#include "config/model_io.h"
#include "infer/translate.h"

namespace qkv::cli {

namespace {
struct TranslateArgs {
  std::string checkpoint;
  TranslateOptions opt;
};
}  // namespace

Runner add_translate_command(CLI::App& app) {
  auto a = std::make_shared<TranslateArgs>();
  CLI::App* sub = app.add_subcommand("translate", "translate standard input line by line with a seq2seq checkpoint");
  sub->add_option("--checkpoint", a->checkpoint, "a seq2seq checkpoint written by qkv train")->required();
  sub->add_option("--beam", a->opt.beam, "beam size (1: greedy)")->check(bounded(1, kMaxBeam));
  sub->add_option("--length-penalty", a->opt.length_penalty, "beam search: GNMT's alpha, 0 for none")->check(bounded(0));
  sub->add_option("--batch-size", a->opt.batch_size, "sentences decoded together")->check(bounded(1, kMaxBatch));
  return [a] {
    LoadedModel m = load_model(a->checkpoint);
    const nn::Seq2Seq& model = m.translator("translate");
    check_inference_memory(model.config(), a->opt.batch_size, a->opt.batch_size * a->opt.beam, "translate",
                           "--batch-size or --beam");
    std::vector<std::string> lines;
    for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    Translations t = translate(model, *m.tokenizer, m.special_ids(), lines, a->opt);
    for (const std::string& line : t.text) fmt::print("{}\n", line);
    if (t.truncated > 0)
      fmt::print(stderr, "translate: {} of {} lines were longer than block_size - 1 = {} tokens and were cut\n",
                 t.truncated, lines.size(), model.config().block_size - 1);
    return 0;
  };
}

}  // namespace qkv::cli
