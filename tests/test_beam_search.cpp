// Beam search on small random Seq2Seq models (f64, both decoder kinds): one beam is
// greedy, returned scores are the teacher-forced log-probabilities of the returned
// tokens, a beam wide enough to hold every prefix finds the exhaustive-search optimum, a
// sentence decodes the same alone as in a padded batch, max_len and bad options.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "autograd/autograd.h"
#include "infer/beam_search.h"

using namespace qkv;
using namespace qkv::nn;
using Catch::Contains;

namespace {

constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kVocab = 20;

ModelConfig beam_config(bool merged) {
  ModelConfig m;
  m.kind = ModelKind::seq2seq;
  m.vocab_size = kVocab;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_embd = 16;
  m.block_size = 16;
  m.merged = merged;
  return m;
}

// The 0.02-std init gives nearly uniform next-token distributions that copy the input
// token; weights 5x larger give peaked, varied ones, where hypotheses end at different
// lengths and beams often beat greedy. Modules cannot move, hence the pointer.
std::unique_ptr<Seq2Seq> make_model(bool merged, uint64_t seed) {
  auto model = std::make_unique<Seq2Seq>(beam_config(merged), seed, kPad);
  model->to(DType::f64);
  model->eval();
  for (const Tensor& p : model->parameters()) {
    double* values = p.data<double>();
    for (int64_t i = 0; i < p.numel(); ++i) values[i] *= 5;
  }
  return model;
}

// Three sources of lengths 5, 3 and 4, padded to 5.
const std::vector<std::vector<int64_t>> kSources = {{3, 4, 5, 6, 7}, {9, 8, 2}, {12, 5, 17, 4}};

Tensor padded_batch(const std::vector<std::vector<int64_t>>& rows) {
  size_t S = 0;
  for (const auto& r : rows) S = std::max(S, r.size());
  std::vector<int64_t> ids;
  for (const auto& r : rows) {
    ids.insert(ids.end(), r.begin(), r.end());
    ids.insert(ids.end(), S - r.size(), kPad);
  }
  return Tensor::from(ids, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(S)});
}

// Greedy's rows cut before their first eos.
std::vector<std::vector<int64_t>> greedy_tokens(const Seq2Seq& model, const Tensor& src, int64_t eos, int64_t max_len) {
  Tensor out = model.greedy(src, kBos, eos, max_len);
  std::vector<int64_t> ids = out.to_vector<int64_t>();
  const int64_t T = out.size(1);
  std::vector<std::vector<int64_t>> rows(static_cast<size_t>(out.size(0)));
  for (size_t b = 0; b < rows.size(); ++b)
    for (int64_t t = 0; t < T && ids[b * T + t] != eos; ++t) rows[b].push_back(ids[b * T + t]);
  return rows;
}

// log p(tokens [, eos] | source) by one teacher-forced pass of model.forward, no cache.
double teacher_forced_log_prob(const Seq2Seq& model, const std::vector<int64_t>& source,
                               const std::vector<int64_t>& tokens, bool ended, int64_t eos) {
  std::vector<int64_t> targets = tokens;
  if (ended) targets.push_back(eos);
  std::vector<int64_t> inputs = {kBos};
  inputs.insert(inputs.end(), targets.begin(), targets.end() - 1);
  const int64_t T = static_cast<int64_t>(targets.size());
  Tensor logits = model.forward(padded_batch({source}), Tensor::from(inputs, {1, T}));
  std::vector<double> log_probs = log_softmax(logits.reshape({T, kVocab}), -1).to_vector<double>();
  double sum = 0;
  for (int64_t t = 0; t < T; ++t) sum += log_probs[t * kVocab + targets[t]];
  return sum;
}

// GNMT's normalisation, written out again: ((5 + length) / 6)^alpha.
double normalised(double log_prob, size_t length, double alpha) {
  return log_prob / std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

}  // namespace

TEST_CASE("beam search with one beam and no length penalty is greedy decoding", "[beam]") {
  for (bool merged : {false, true}) {
    for (uint64_t seed : {1, 2, 3}) {
      INFO((merged ? "merged" : "cross") << " seed " << seed);
      auto model_ptr = make_model(merged, seed);
      const Seq2Seq& model = *model_ptr;
      Tensor src = padded_batch(kSources);
      const int64_t eos = kEos, max_len = 8;
      BeamOptions one;
      one.beam = 1;
      one.length_penalty = 0;
      CHECK(beam_search(model, src, kBos, eos, max_len, one) == greedy_tokens(model, src, eos, max_len));
    }
  }
}

TEST_CASE("beam search scores are the teacher-forced log-probabilities, and beat greedy's", "[beam]") {
  for (bool merged : {false, true}) {
    for (uint64_t seed : {1, 2, 3, 4}) {
      INFO((merged ? "merged" : "cross") << " seed " << seed);
      auto model_ptr = make_model(merged, seed);
      const Seq2Seq& model = *model_ptr;
      Tensor src = padded_batch(kSources);
      const int64_t eos = kEos, max_len = 10;
      BeamOptions opt;  // beam 4, alpha 0.6
      const auto nbest = beam_search_hypotheses(model, src, kBos, eos, max_len, opt);
      const auto greedy = greedy_tokens(model, src, eos, max_len);
      REQUIRE(nbest.size() == kSources.size());
      for (size_t b = 0; b < kSources.size(); ++b) {
        INFO("sentence " << b);
        REQUIRE(!nbest[b].empty());
        CHECK(nbest[b].size() <= 4);
        for (size_t i = 0; i < nbest[b].size(); ++i) {
          const BeamHypothesis& h = nbest[b][i];
          const size_t length = h.tokens.size() + (h.ended ? 1 : 0);
          CHECK(length <= static_cast<size_t>(max_len));
          CHECK(std::abs(h.log_prob - teacher_forced_log_prob(model, kSources[b], h.tokens, h.ended, eos)) < 1e-9);
          CHECK(std::abs(h.score - normalised(h.log_prob, length, 0.6)) < 1e-12);
          if (i > 0) CHECK(h.score <= nbest[b][i - 1].score);
        }
        // Not a theorem (a beam can prune greedy's path), but it holds for these models;
        // a wrong cache reorder breaks it.
        const bool greedy_ended = static_cast<int64_t>(greedy[b].size()) < max_len;
        const double greedy_score =
            normalised(teacher_forced_log_prob(model, kSources[b], greedy[b], greedy_ended, eos),
                       greedy[b].size() + (greedy_ended ? 1 : 0), 0.6);
        CHECK(nbest[b][0].score >= greedy_score - 1e-12);
      }
    }
  }
}

TEST_CASE("a beam that holds every prefix finds the exhaustive-search optimum", "[beam]") {
  // max_len 3 over 20 tokens: 19 * 19 non-eos prefixes of length 2, so 400 beams keep all
  // of them, and every hypothesis of length <= 3 is scored from one teacher-forced pass
  // over the inputs [bos, t1, t2].
  for (bool merged : {false, true}) {
    INFO((merged ? "merged" : "cross"));
    auto model_ptr = make_model(merged, 7);
    const Seq2Seq& model = *model_ptr;
    const std::vector<int64_t> source = kSources[1];
    const int64_t eos = kEos, max_len = 3;
    std::vector<int64_t> inputs, non_eos;
    for (int64_t v = 0; v < kVocab; ++v)
      if (v != eos) non_eos.push_back(v);
    for (int64_t t1 : non_eos)
      for (int64_t t2 : non_eos) inputs.insert(inputs.end(), {kBos, t1, t2});
    const int64_t N = static_cast<int64_t>(non_eos.size() * non_eos.size());
    Tensor src = padded_batch(std::vector<std::vector<int64_t>>(static_cast<size_t>(N), source));
    std::vector<double> lp = log_softmax(model.forward(src, Tensor::from(inputs, {N, 3})), -1).to_vector<double>();
    const auto at = [&](int64_t row, int64_t t, int64_t v) { return lp[(row * 3 + t) * kVocab + v]; };

    double best_score = -INFINITY;
    std::vector<int64_t> best_tokens;
    const auto consider = [&](std::vector<int64_t> tokens, bool ended, double log_prob) {
      const double score = normalised(log_prob, tokens.size() + (ended ? 1 : 0), 0.6);
      if (score > best_score) {
        best_score = score;
        best_tokens = std::move(tokens);
      }
    };
    consider({}, true, at(0, 0, eos));
    for (int64_t row = 0; row < N; ++row) {
      const int64_t t1 = inputs[row * 3 + 1], t2 = inputs[row * 3 + 2];
      if (t2 == non_eos[0]) consider({t1}, true, at(row, 0, t1) + at(row, 1, eos));  // once per t1
      const double prefix = at(row, 0, t1) + at(row, 1, t2);
      consider({t1, t2}, true, prefix + at(row, 2, eos));
      for (int64_t t3 : non_eos) consider({t1, t2, t3}, false, prefix + at(row, 2, t3));
    }

    BeamOptions wide;
    wide.beam = 400;
    const auto found = beam_search_hypotheses(model, padded_batch({source}), kBos, eos, max_len, wide);
    CHECK(found[0][0].tokens == best_tokens);
    CHECK(std::abs(found[0][0].score - best_score) < 1e-9);
  }
}

TEST_CASE("a sentence decodes the same alone as inside a padded batch", "[beam]") {
  for (bool merged : {false, true}) {
    INFO((merged ? "merged" : "cross"));
    auto model_ptr = make_model(merged, 5);
    const Seq2Seq& model = *model_ptr;
    Tensor batch = padded_batch(kSources);
    const int64_t eos = kEos, max_len = 10;
    BeamOptions opt;
    opt.beam = 3;
    const auto together = beam_search_hypotheses(model, batch, kBos, eos, max_len, opt);
    for (size_t b = 0; b < kSources.size(); ++b) {
      INFO("sentence " << b);
      const auto alone = beam_search_hypotheses(model, padded_batch({kSources[b]}), kBos, eos, max_len, opt);
      REQUIRE(alone[0].size() == together[b].size());
      for (size_t i = 0; i < alone[0].size(); ++i) {
        CHECK(alone[0][i].tokens == together[b][i].tokens);
        CHECK(std::abs(alone[0][i].score - together[b][i].score) < 1e-9);
      }
    }
  }
}

TEST_CASE("beam search respects max_len and checks its arguments", "[beam]") {
  auto model_ptr = make_model(false, 9);
  const Seq2Seq& model = *model_ptr;
  Tensor src = padded_batch(kSources);
  // An eos outside the vocabulary never comes: every hypothesis is cut at max_len.
  for (int64_t max_len : {1, 4, 16}) {
    INFO("max_len " << max_len);
    for (const auto& sentence : beam_search_hypotheses(model, src, kBos, -1, max_len))
      for (const BeamHypothesis& h : sentence) {
        CHECK(h.tokens.size() == static_cast<size_t>(max_len));
        CHECK(!h.ended);
      }
  }
  CHECK(length_penalty(1, 0.6) == 1.0);
  CHECK(length_penalty(7, 0.6) == Approx(std::pow(2.0, 0.6)));
  REQUIRE_THROWS_WITH(beam_search(model, src, kBos, kEos, 17), Contains("max_len 17"));
  REQUIRE_THROWS_WITH(beam_search(model, src, kBos, kEos, 0), Contains("max_len 0"));
  BeamOptions none;
  none.beam = 0;
  REQUIRE_THROWS_WITH(beam_search(model, src, kBos, kEos, 5, none), Contains("beam 0"));
  REQUIRE_THROWS_WITH(beam_search(model, src, kVocab, kEos, 5), Contains("bos_id 20"));
}
