// The translation path end to end: pair batches, training an encoder-decoder on a small
// made-up task until it translates, decoding in sorted batches, evaluation (loss, BLEU,
// chrF), and checkpoints that load back as translators.
#include <catch2/catch.hpp>

#include "tiny_corpus.h"

#include <cmath>
#include <filesystem>

#include "data/pair_batcher.h"
#include "data/parallel_corpus.h"
#include "config/model_io.h"
#include "train/trainer.h"
#include "infer/translate.h"
#include "eval/translation_eval.h"

using namespace qkv;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<int64_t> ids_of(const Tensor& t) { return t.to_vector<int64_t>(); }

// A trained translator on write_pairs' task (trained once, shared by the tests below).
struct Trained {
  fs::path dir;
  TrainResult result;
  LoadedModel model;
  data::ParallelCorpus corpus;
};

const Trained& trained() {
  static Trained t = [] {
    Trained t;
    t.dir = qkv::testing::temp_dir("translation");
    TrainOptions opt;
    RunConfig& c = opt.config;
    c.data.corpus = qkv::testing::write_pairs(t.dir);
    c.data.tokenizer = data::TokenizerKind::bpe;
    c.data.vocab_size = 300;  // SentencePiece needs 256 byte pieces + the characters
    c.model.kind = nn::ModelKind::seq2seq;
    c.model.n_layer = 1;
    c.model.n_head = 2;
    c.model.n_embd = 32;
    c.model.block_size = 24;
    c.model.dropout = 0.0;
    c.train.max_iters = 300;
    c.train.batch_size = 16;
    c.train.eval_interval = 100;
    c.train.eval_iters = 2;
    c.train.checkpoint_interval = 300;
    c.train.out = (t.dir / "run").string();
    c.optim.lr = 3e-3;
    c.optim.warmup_iters = 20;
    c.optim.lr_decay_iters = 300;
    opt.progress = false;
    t.result = train(opt);
    t.model = load_model(t.result.last_checkpoint);
    t.corpus = data::load_parallel_corpus(c.data.corpus);
    return t;
  }();
  return t;
}

}  // namespace

TEST_CASE("pair batches: source + eos, bos + target, target + eos, padded to the longest", "[translation]") {
  const data::SpecialIds ids = data::special_ids(10);
  CHECK(ids.pad == 10);
  CHECK(ids.bos == 11);
  CHECK(ids.eos == 12);
  CHECK(ids.vocab_size == 13);
  data::PairBatcher batches({{{1, 2, 3}, {4}}, {{5}, {6, 7}}}, 2, 8, ids);
  data::PairBatch b = batches.slice(0, 2);
  CHECK(b.src.shape() == Dims{2, 4});
  CHECK(ids_of(b.src) == std::vector<int64_t>{1, 2, 3, 12, 5, 12, 10, 10});
  CHECK(ids_of(b.tgt_in) == std::vector<int64_t>{11, 4, 10, 11, 6, 7});
  CHECK(ids_of(b.tgt_out) == std::vector<int64_t>{4, 12, 10, 6, 7, 12});
  CHECK(b.target_tokens == 5);

  Generator g1(7), g2(7);
  CHECK(ids_of(batches.next(g1).src) == ids_of(batches.next(g2).src));
}

TEST_CASE("pairs longer than block_size are left out, and none left is an error", "[translation]") {
  const data::SpecialIds ids = data::special_ids(10);
  data::PairBatcher batches({{{1, 2, 3}, {4}}, {{1}, {2, 3, 4, 5}}, {{1, 2, 3, 4}, {1}}}, 2, 4, ids);
  CHECK(batches.size() == 1);  // 4 target tokens + eos and 4 source tokens + eos do not fit 4 positions
  CHECK(batches.dropped() == 2);
  REQUIRE_THROWS_WITH(data::PairBatcher({{{1, 2, 3, 4}, {1}}}, 2, 4, ids, "val"),
                      Contains("the val split has no pair that fits block_size 4"));
}

TEST_CASE("a seq2seq model trained on a small task translates it", "[translation]") {
  const Trained& t = trained();
  REQUIRE(t.result.steps == 300);
  const nn::Seq2Seq& model = t.model.translator("test");
  TranslationEval e = evaluate_translation(model, *t.model.tokenizer, t.corpus.val);
  INFO("val loss " << e.loss << ", BLEU " << e.bleu.score << ", first: " << e.hypotheses.at(0));
  CHECK(e.pairs == static_cast<int64_t>(t.corpus.val.size()));
  CHECK(e.loss < 0.5);
  CHECK(e.bleu.score > 60);
  CHECK(e.chrf.score > 80);
  // The scores are those of the returned translations.
  std::vector<std::string> refs;
  for (const auto& p : t.corpus.val) refs.push_back(p.tgt);
  CHECK(corpus_bleu(e.hypotheses, refs).score == e.bleu.score);
  // The checkpoint knows its model kind.
  CHECK(t.model.model == nullptr);
  CHECK(t.model.config.model.kind == nn::ModelKind::seq2seq);
  CHECK(t.model.seq2seq->config().vocab_size == t.model.tokenizer->vocab_size() + 3);
  REQUIRE_THROWS_WITH(t.model.gpt("sample"), Contains("sample:") && Contains("holds a seq2seq"));
}

TEST_CASE("batched translation returns each sentence's own translation, in order", "[translation]") {
  const Trained& t = trained();
  const nn::Seq2Seq& model = *t.model.seq2seq;
  std::vector<std::string> sources;
  for (size_t i = 0; i < 12; ++i) sources.push_back(t.corpus.val[i].src);
  sources.push_back("seven");  // shorter than the rest: sorted to the front of its batch
  for (int64_t beam : {1, 3}) {
    INFO("beam " << beam);
    TranslateOptions opt;
    opt.beam = beam;
    opt.batch_size = 5;
    Translations together = translate(model, *t.model.tokenizer, t.model.special_ids(), sources, opt);
    REQUIRE(together.text.size() == sources.size());
    for (size_t i = 0; i < sources.size(); ++i) {
      Translations alone = translate(model, *t.model.tokenizer, t.model.special_ids(), {sources[i]}, opt);
      CHECK(alone.text.at(0) == together.text[i]);
    }
  }
}
