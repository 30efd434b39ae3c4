// qkv eval --checkpoint FILE [--split val|test]: loss and perplexity over a whole split;
// for a seq2seq checkpoint also BLEU and chrF of its translations of the split.
#include <fmt/core.h>

#include <cmath>

#include "cli/bounds.h"
#include "cli/commands.h"
#include "data/batcher.h"
#include "data/corpus.h"
#include "data/parallel_corpus.h"
#include "config/memory_budget.h"
#include "config/model_io.h"
#include "eval/lm_eval.h"
#include "eval/translation_eval.h"

namespace qkv::cli {

namespace {
struct EvalArgs {
  std::string checkpoint, split = "val";
  int64_t batch_size = 16;
  int64_t beam = 1, examples = 3;
};

int eval_gpt(const LoadedModel& m, const EvalArgs& a) {
  data::Corpus corpus = data::load_corpus(m.config.data.corpus);
  data::TokenizedCorpus tokens = data::tokenize(corpus, *m.tokenizer);
  const std::vector<int32_t>& split = a.split == "val" ? tokens.val : tokens.test;
  QKV_CHECK(!split.empty(), "eval: corpus {} has no {} split", corpus.origin, a.split);
  const LmEval e = evaluate_lm(*m.model, split, a.batch_size);
  fmt::print("{} split of {}: {} tokens in {} windows of {}\nloss {:.4f}\nperplexity {:.3f}\n", a.split, corpus.origin,
             split.size(), e.windows, m.model->config().block_size, e.loss, std::exp(e.loss));
  return 0;
}

int eval_translation(const LoadedModel& m, const EvalArgs& a) {
  data::ParallelCorpus corpus = data::load_parallel_corpus(m.config.data.corpus);
  const std::vector<data::SentencePair>& pairs = a.split == "val" ? corpus.val : corpus.test;
  QKV_CHECK(!pairs.empty(), "eval: corpus {} has no {} split", corpus.origin, a.split);
  TranslateOptions opt;
  opt.beam = a.beam;
  opt.batch_size = a.batch_size;
  TranslationEval e = evaluate_translation(*m.seq2seq, *m.tokenizer, pairs, opt);
  fmt::print("{} split of {}: {} pairs ({} longer than block_size {} left out of the loss)\n", a.split, corpus.origin,
             pairs.size(), static_cast<int64_t>(pairs.size()) - e.pairs, m.seq2seq->config().block_size);
  fmt::print("loss {:.4f} per target token ({} tokens)\nperplexity {:.3f}\n", e.loss, e.target_tokens, std::exp(e.loss));
  fmt::print("{} = {:.2f} ({})\n", "BLEU", e.bleu.score, e.bleu.signature());
  fmt::print("{} = {:.2f} ({})\n", "chrF", e.chrf.score, e.chrf.signature());
  fmt::print("decoding: {}{}\n", a.beam > 1 ? fmt::format("beam {}", a.beam) : "greedy",
             e.truncated > 0 ? fmt::format(", {} sources cut to block_size - 1 tokens", e.truncated) : "");
  for (size_t i = 0; i < std::min(pairs.size(), static_cast<size_t>(a.examples)); ++i)
    fmt::print("\nsource:    {}\nreference: {}\nqkv:       {}\n", pairs[i].src, pairs[i].tgt, e.hypotheses[i]);
  return 0;
}
}  // namespace

Runner add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* sub = app.add_subcommand("eval", "loss and perplexity of a checkpoint on a whole split; BLEU and chrF for translation");
  sub->add_option("--checkpoint", a->checkpoint, "a checkpoint written by qkv train")->required();
  sub->add_option("--split", a->split, "val or test")->check(CLI::IsMember({"val", "test"}));
  sub->add_option("--batch-size", a->batch_size, "windows (seq2seq: sentences) per forward pass")->check(bounded(1, kMaxBatch));
  sub->add_option("--beam", a->beam, "seq2seq: beam size for the translations (1: greedy)")->check(bounded(1, kMaxBeam));
  sub->add_option("--examples", a->examples, "seq2seq: translations to print")->check(bounded(0));
  return [a] {
    LoadedModel m = load_model(a->checkpoint);
    if (m.seq2seq)
      check_inference_memory(m.seq2seq->config(), a->batch_size, a->batch_size * a->beam, "eval", "--batch-size or --beam");
    else
      check_inference_memory(m.model->config(), a->batch_size, 0, "eval", "--batch-size");
    return m.seq2seq ? eval_translation(m, *a) : eval_gpt(m, *a);
  };
}

}  // namespace qkv::cli
