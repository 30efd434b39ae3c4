// The memory estimate (nn/memory_estimate.h) against the allocator's real peak, and the
// check that refuses a config the machine cannot hold (config/memory_budget.h).
#include <catch2/catch.hpp>

#include "autograd/autograd.h"
#include "base/bytes.h"
#include "base/error.h"
#include "config/memory_budget.h"
#include "cpu/allocator.h"
#include "nn/count.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"

using namespace qkv;
using Catch::Contains;

namespace {

nn::ModelConfig small_model(nn::ModelKind kind) {
  nn::ModelConfig m;
  m.kind = kind;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_embd = 64;
  m.block_size = 32;
  m.vocab_size = 200;
  return m;
}

// Bytes the allocator held at the peak of one training micro-batch (forward and
// backward) beyond what it held before: the activations the estimate predicts.
double measured_activation_bytes(const nn::ModelConfig& m, int64_t batch) {
  std::vector<int64_t> ids(static_cast<size_t>(batch * m.block_size));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = 3 + static_cast<int64_t>(i) % (m.vocab_size - 3);
  const Tensor x = Tensor::from(ids, {batch, m.block_size});
  std::unique_ptr<nn::Module> model;
  std::function<Tensor()> loss;
  if (m.kind == nn::ModelKind::gpt) {
    auto gpt = std::make_shared<nn::GPT>(m, 1);
    loss = [gpt, x] { return gpt->loss(x, x); };
  } else {
    auto s2s = std::make_shared<nn::Seq2Seq>(m, 1, 0);
    loss = [s2s, x] { return s2s->loss(x, x, x); };
  }
  const int64_t before = allocator::stats().bytes_in_use;
  allocator::reset_peak();
  loss().backward();
  return static_cast<double>(allocator::stats().peak_bytes_in_use - before);
}

}  // namespace

TEST_CASE("the activation estimate is within 25% of the allocator's peak for each variant", "[memory]") {
  struct Case {
    const char* name;
    std::function<void(nn::ModelConfig&)> set;
  };
  const std::vector<Case> cases = {
      {"gpt", [](nn::ModelConfig&) {}},
      {"gpt dropout", [](nn::ModelConfig& m) { m.dropout = 0.2; }},
      {"gpt rope swiglu", [](nn::ModelConfig& m) { m.positions = nn::Positions::rope, m.mlp = nn::MlpKind::swiglu; }},
      {"gpt rbf", [](nn::ModelConfig& m) { m.attention.score = nn::ScoreKind::rbf; }},
      {"gpt additive", [](nn::ModelConfig& m) { m.attention.score = nn::ScoreKind::additive; }},
      {"seq2seq", [](nn::ModelConfig& m) { m.kind = nn::ModelKind::seq2seq; }},
      {"seq2seq merged", [](nn::ModelConfig& m) { m.kind = nn::ModelKind::seq2seq, m.merged = true; }},
  };
  for (const Case& c : cases) {
    nn::ModelConfig m = small_model(nn::ModelKind::gpt);
    c.set(m);
    const double measured = measured_activation_bytes(m, 8);
    const double estimated = nn::estimate_training_memory(m, 8, 2).activations;
    INFO(c.name << ": measured " << format_bytes(measured) << ", estimated " << format_bytes(estimated));
    CHECK(estimated > 0.8 * measured);
    CHECK(estimated < 1.25 * measured);
  }
}

TEST_CASE("the estimate's weights are the parameter count, once per copy", "[memory]") {
  const nn::ModelConfig m = small_model(nn::ModelKind::gpt);
  const nn::MemoryEstimate e = nn::estimate_training_memory(m, 4, 2);
  CHECK(e.parameters == 4.0 * static_cast<double>(nn::count_parameters(m)));
  CHECK(e.gradients == e.parameters);
  CHECK(e.optimizer_state == 2 * e.parameters);
  CHECK(nn::estimate_training_memory(m, 8, 2).activations == Approx(2 * e.activations));
  // Sizes at the config's caps stay finite (doubles, no int64 overflow).
  nn::ModelConfig huge = m;
  huge.n_layer = 1024, huge.n_embd = 65536, huge.n_head = 1024, huge.block_size = 1 << 20, huge.mlp_hidden = 1 << 20;
  const nn::MemoryEstimate h = nn::estimate_training_memory(huge, 1 << 20, 2);
  CHECK(std::isfinite(h.total()));
  CHECK(h.total() > 1e20);
}

TEST_CASE("the vocabulary before the data: the config's for subwords, a bound for char", "[memory]") {
  RunConfig c;
  CHECK(vocab_before_data(c) == kCharVocabBound);
  apply_override(c, "data.tokenizer=bpe");
  CHECK(vocab_before_data(c) == data::kDefaultSubwordVocab);
  apply_override(c, "data.vocab_size=8000");
  apply_override(c, "model.kind=seq2seq");
  CHECK(vocab_before_data(c) == 8003);  // pad, bos, eos
}

TEST_CASE("check_memory_budget refuses a config over the available memory in one line", "[memory]") {
  RunConfig c;
  CHECK_NOTHROW(check_memory_budget(c, "train", 0, 64 * kGiB));
  CHECK_NOTHROW(check_memory_budget(c, "train", 0, std::nullopt));  // unknown: nothing refused
  apply_override(c, "train.batch_size=100000");
  try {
    check_memory_budget(c, "train", 0, 21.3 * kGiB);
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Contains("train: this config needs about ") && Contains("for one batch of 100000 x 64") &&
                         Contains("more than the 21.3 GiB available; lower train.batch_size"));
    CHECK(what.find('\n') == std::string::npos);
  }
  // Weights that do not fit point at the model's size.
  RunConfig wide;
  apply_override(wide, "model.n_embd=16384");
  apply_override(wide, "model.n_layer=64");
  apply_override(wide, "train.batch_size=1");
  REQUIRE_THROWS_WITH(check_memory_budget(wide, "ablate", 0, 21.3 * kGiB), Contains("lower model.n_embd, model.n_layer"));
}

TEST_CASE("check_inference_memory counts decoding rows", "[memory]") {
  nn::ModelConfig m = small_model(nn::ModelKind::seq2seq);
  CHECK_NOTHROW(check_inference_memory(m, 32, 32 * 4, "translate", "--batch-size or --beam", 1 * kGiB));
  REQUIRE_THROWS_WITH(check_inference_memory(m, 32, 1000000, "translate", "--batch-size or --beam", 1 * kGiB),
                      Contains("translate: this needs about") && Contains("lower --batch-size or --beam"));
}

TEST_CASE("format_bytes reads at a glance", "[memory]") {
  CHECK(format_bytes(300) == "300 bytes");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(kMiB) == "1 MiB");
  CHECK(format_bytes(812.4 * kGiB) == "812.4 GiB");
}

TEST_CASE("check_rank_memory_budget counts a rank's rows, its gradient buckets and its share of the machine",
          "[memory]") {
  RunConfig c;
  c.model.n_layer = 4;
  c.model.n_embd = 512;
  c.model.block_size = 512;
  c.train.batch_size = 64;
  const double one_process = estimate_run_memory(c).total();
  RunConfig quarter = c;
  quarter.train.batch_size = 16;
  const double rank = estimate_run_memory(quarter).total() + estimate_run_memory(quarter).gradients;
  REQUIRE(rank < one_process);  // activations dominate this config
  // 4 ranks, each on its own machine: fits where one process would not.
  CHECK_THROWS(check_memory_budget(c, "train", 0, (rank + one_process) / 2));
  CHECK_NOTHROW(check_rank_memory_budget(c, 4, 1, "train", rank * 1.01));
  CHECK_THROWS_WITH(check_rank_memory_budget(c, 4, 1, "train", rank * 0.99),
                    Contains("allreduce buckets") && Contains("one batch of 16 x 512"));
  // The same 4 ranks on one machine share it.
  CHECK_THROWS(check_rank_memory_budget(c, 4, 4, "train", rank * 1.01));
  CHECK_NOTHROW(check_rank_memory_budget(c, 4, 4, "train", 4 * rank * 1.01));
}
