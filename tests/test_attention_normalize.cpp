// attention.normalize at op level (docs/design.md section 3): attention_weights and
// scaled_dot_attention under keys, queries and sigmoid. keys through attention_weights
// equals softmax(masked_fill(...)); the fused op equals the composed ops (scores,
// attention_weights, dropout, matmul) in every mode; fully masked rows and columns give
// zeros and finite gradients; padded queries take nothing from real ones; the sigmoid's
// default bias is -log of the keys a row sees, so decoding with past keys equals the
// full forward. (float64 gradchecks: checks/ops/attention_cases.cpp.)
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "autograd/autograd.h"
#include "autograd/ops/attention_weights.h"
#include "attention_test_support.h"

using namespace qkv;
using Catch::Contains;

namespace {

struct Problem {
  std::string name;
  int64_t B, H, Hkv, T, S, e, ev;
  AttentionMask mask;
  bool permuted = false;  // q, k, v as split_heads' views of [B, L, H, e]
};

struct Inputs {
  Tensor q, k, v, grad_out;
};

Tensor input(const Problem& p, int64_t h, int64_t L, int64_t e, DType dt, Generator& gen) {
  return test::head_input(p.B, h, L, e, p.permuted, dt, gen);
}

Inputs make_inputs(const Problem& p, DType dt) {
  Generator gen(17);
  Inputs in;
  in.q = input(p, p.H, p.T, p.e, dt, gen);
  in.k = input(p, p.Hkv, p.S, p.e, dt, gen);
  in.v = input(p, p.Hkv, p.S, p.ev, dt, gen);
  in.grad_out = randn({p.B, p.H, p.T, p.ev}, gen, dt);
  return in;
}

Tensor padding(std::vector<int32_t> bits, int64_t B) {
  const int64_t n = static_cast<int64_t>(bits.size()) / B;
  return Tensor::from(std::move(bits), {B, n});
}

double scale_of(const Problem& p) { return 1.0 / std::sqrt(static_cast<double>(p.e)); }

Tensor repeat_heads(const Problem& p, const Tensor& t) {
  if (p.Hkv == p.H) return t;
  const int64_t L = t.size(2), e = t.size(3);
  return t.unsqueeze(2).expand({p.B, p.Hkv, p.H / p.Hkv, L, e}).reshape({p.B, p.H, L, e});
}

// The composed path: scores by matmul, then attention_weights, dropout, matmul.
Tensor composed(const Problem& p, const Inputs& in, const NormalizeOptions& norm, double drop) {
  Tensor scores = matmul(in.q, repeat_heads(p, in.k).transpose(-2, -1)) * scale_of(p);
  Tensor w = attention_weights(scores, p.mask, norm);
  Generator gen(77);
  if (drop > 0) w = dropout(w, drop, true, gen);
  return matmul(w, repeat_heads(p, in.v));
}

Tensor fused(const Problem& p, const Inputs& in, const NormalizeOptions& norm, double drop) {
  Generator gen(77);
  return scaled_dot_attention(in.q, in.k, in.v, scale_of(p), p.mask, norm, drop, &gen);
}

using Result = test::AttentionResult;
using test::max_rel_diff;

template <typename F>
Result run(const Inputs& in, F&& f) {
  return test::backward_of(in.q, in.k, in.v, in.grad_out, f);
}

bool all_finite(const Tensor& t) {
  for (double x : t.to_vector<double>())
    if (!std::isfinite(x)) return false;
  return true;
}

const std::vector<NormalizeOptions>& all_modes() {
  static const std::vector<NormalizeOptions> modes = {
      {Normalize::keys, {}}, {Normalize::queries, {}}, {Normalize::sigmoid, {}}, {Normalize::sigmoid, 0.25}};
  return modes;
}

std::string mode_name(const NormalizeOptions& n) {
  return std::string(name_of(n.kind)) + (n.sigmoid_bias ? " (bias)" : "");
}

const std::vector<Problem>& problems() {
  // Batch 0 pads keys 0 and 1: causal rows 0 and 1 and columns 0 and 1 are fully masked.
  static const Tensor pad_rows = padding({1, 1, 0, 0, 0, 0, 0, 1}, 2);
  static const Tensor pad_self = padding({0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, 2);  // batch 1: last two
  static const std::vector<Problem> all = {
      {"cross, S != T, ev != e", 2, 2, 2, 6, 11, 3, 5, {}},
      {"causal + padding, fully masked rows and columns", 2, 2, 2, 4, 4, 4, 4, {true, 0, pad_rows, Tensor()}},
      {"self, key and query padding", 2, 2, 2, 5, 5, 4, 3, {false, 0, pad_self, pad_self}},
      {"grouped heads, causal with 2 past keys", 2, 4, 2, 7, 9, 3, 5, {true, 2, Tensor(), Tensor()}},
      {"three row blocks, causal (T 150)", 1, 2, 2, 150, 150, 8, 8, {true, 0, Tensor(), Tensor()}},
      {"split_heads views, grouped cross (T 70)", 2, 4, 2, 70, 8, 4, 4, {}, true},
  };
  return all;
}

}  // namespace

TEST_CASE("Normalize names: keys, queries, sigmoid", "[attention_normalize]") {
  CHECK(name_list<Normalize>() == "keys, queries, sigmoid");
  CHECK(parse_name<Normalize>("queries", "attention.normalize") == Normalize::queries);
  CHECK_THROWS_WITH(parse_name<Normalize>("rows", "attention.normalize"), Contains("must be one of keys"));
}

TEST_CASE("attention_weights under keys equals softmax(masked_fill(...)) exactly", "[attention_normalize]") {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor pad = padding({1, 1, 0, 0, 1, 0, 0, 1, 0, 1}, 2);
  for (DType dt : {DType::f32, DType::f64}) {
    Generator gen(3);
    Tensor scores = randn({2, 3, 4, 5}, gen, dt).requires_grad_();
    Tensor g = randn({2, 3, 4, 5}, gen, dt);
    Tensor masked = masked_fill(scores, causal_mask(4, 5, 1), -inf);
    Tensor want = softmax(masked_fill(masked, pad.reshape({2, 1, 1, 5}), -inf));
    sum(want * g).backward();
    const Tensor want_grad = scores.grad();
    scores.zero_grad();
    Tensor got = attention_weights(scores, {true, 1, pad, Tensor()});
    sum(got * g).backward();
    CHECK(got.to_vector<double>() == want.to_vector<double>());
    CHECK(scores.grad().to_vector<double>() == want_grad.to_vector<double>());
  }
}

TEST_CASE("fused attention equals the composed ops in every normalisation", "[attention_normalize]") {
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 1e-5 : 1e-12;
    for (const NormalizeOptions& norm : all_modes())
      for (const Problem& p : problems())
        for (double drop : {0.0, 0.3}) {
          INFO(p.name << ", " << mode_name(norm) << ", dropout " << drop << " in " << dtype_name(dt));
          Inputs in = make_inputs(p, dt);
          Result want = run(in, [&] { return composed(p, in, norm, drop); });
          Result got = run(in, [&] { return fused(p, in, norm, drop); });
          CHECK(max_rel_diff(got.out, want.out) <= tol);
          CHECK(max_rel_diff(got.dq, want.dq) <= tol);
          CHECK(max_rel_diff(got.dk, want.dk) <= tol);
          CHECK(max_rel_diff(got.dv, want.dv) <= tol);
        }
  }
}

TEST_CASE("fully masked rows and columns give zeros and finite gradients", "[attention_normalize]") {
  const Problem& p = problems()[1];  // batch 0: keys 0, 1 padded; causal rows 0, 1 see nothing
  for (const NormalizeOptions& norm : all_modes()) {
    INFO(mode_name(norm));
    Inputs in = make_inputs(p, DType::f32);
    Tensor scores = (matmul(in.q, in.k.transpose(-2, -1)) * scale_of(p)).detach().requires_grad_();
    Tensor w = attention_weights(scores, p.mask, norm);
    Generator gen(5);
    sum(w * randn(w.shape(), gen)).backward();
    for (int64_t h = 0; h < p.H; ++h) {
      const Tensor head = w.slice(0, 0, 1).slice(1, h, h + 1);
      for (double x : head.slice(3, 0, 2).to_vector<double>()) CHECK(x == 0);  // the padded keys' columns
      for (double x : head.slice(2, 0, 2).to_vector<double>()) CHECK(x == 0);  // rows 0, 1 see no key
    }
    CHECK(all_finite(w));
    CHECK(all_finite(scores.grad()));
    Result r = run(in, [&] { return fused(p, in, norm, 0.0); });
    for (const Tensor& t : {r.out, r.dq, r.dk, r.dv}) CHECK(all_finite(t));
    for (double x : r.dk.slice(0, 0, 1).slice(2, 0, 2).to_vector<double>()) CHECK(x == 0);
    for (double x : r.dv.slice(0, 0, 1).slice(2, 0, 2).to_vector<double>()) CHECK(x == 0);
  }
}

TEST_CASE("queries: padded positions take no attention from real ones", "[attention_normalize]") {
  // Three real positions alone, and with two padded ones after them (as keys and as queries).
  Generator gen(8);
  Tensor q = randn({1, 2, 5, 4}, gen, DType::f64), k = randn({1, 2, 5, 4}, gen, DType::f64);
  Tensor v = randn({1, 2, 5, 3}, gen, DType::f64);
  const Tensor pad = padding({0, 0, 0, 1, 1}, 1);
  const NormalizeOptions queries{Normalize::queries, {}};
  auto real = [](const Tensor& t) { return t.slice(2, 0, 3).contiguous(); };
  Tensor alone = scaled_dot_attention(real(q), real(k), real(v), 0.5, AttentionMask{}, queries);
  Tensor padded = scaled_dot_attention(q, k, v, 0.5, {false, 0, pad, pad}, queries);
  CHECK(max_rel_diff(real(padded), alone) <= 1e-14);
  for (double x : padded.slice(2, 3, 5).to_vector<double>()) CHECK(x == 0);
  // Without the query padding the padded rows would take a share of every real key.
  Tensor keys_only = scaled_dot_attention(q, k, v, 0.5, {false, 0, pad, Tensor()}, queries);
  CHECK(max_rel_diff(real(keys_only), alone) > 1e-3);
}

TEST_CASE("sigmoid: bias -log(keys the row sees), decoding with past keys equals the full forward",
          "[attention_normalize]") {
  Generator gen(9);
  Tensor scores = randn({1, 1, 3, 4}, gen, DType::f64);
  const Tensor pad = padding({0, 1, 0, 0}, 1);
  Tensor w = attention_weights(scores, {true, 1, pad, Tensor()}, {Normalize::sigmoid, {}});
  const std::vector<double> s = scores.to_vector<double>(), got = w.to_vector<double>();
  // Row i sees keys j <= i + 1, key 1 padded: n = 1, 2, 3.
  const int64_t n[3] = {1, 2, 3};
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      const bool allowed = j <= i + 1 && j != 1;
      const double want = allowed ? 1 / (1 + std::exp(-(s[i * 4 + j] - std::log(double(n[i]))))) : 0.0;
      CHECK(got[i * 4 + j] == Approx(want).epsilon(1e-15));
    }
  Tensor with_bias = attention_weights(scores, {true, 1, pad, Tensor()}, {Normalize::sigmoid, -2.0});
  CHECK(with_bias.to_vector<double>()[0] == Approx(1 / (1 + std::exp(-(s[0] - 2.0)))).epsilon(1e-15));

  // The last of 6 causal positions, alone with 5 past keys, as in cached decoding.
  Tensor q = randn({2, 2, 6, 4}, gen, DType::f64), k = randn({2, 2, 6, 4}, gen, DType::f64);
  Tensor v = randn({2, 2, 6, 3}, gen, DType::f64);
  const Tensor kpad = padding({0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0}, 2);
  const NormalizeOptions sigmoid{Normalize::sigmoid, {}};
  Tensor full = scaled_dot_attention(q, k, v, 0.5, {true, 0, kpad, Tensor()}, sigmoid);
  Tensor step = scaled_dot_attention(q.slice(2, 5, 6), k, v, 0.5, {true, 5, kpad, Tensor()}, sigmoid);
  CHECK(max_rel_diff(step, full.slice(2, 5, 6)) <= 1e-14);
}

TEST_CASE("attention masks: shape errors name the op", "[attention_normalize]") {
  Generator gen(1);
  Tensor q = randn({1, 2, 4, 2}, gen), k = randn({1, 2, 5, 2}, gen), v = randn({1, 2, 5, 2}, gen);
  CHECK_THROWS_WITH(scaled_dot_attention(q, k, v, 1.0, {false, 0, Tensor(), zeros({1, 5}, DType::i32)},
                                         {Normalize::queries, {}}),
                    Contains("scaled_dot_attention: query_padding must be [B,T] = [1,4]"));
  CHECK_THROWS_WITH(attention_weights(randn({1, 2, 4, 5}, gen), {false, 0, zeros({2, 5}, DType::i32), Tensor()}),
                    Contains("attention_weights: key_padding must be [B,S] = [1,5]"));
  CHECK_THROWS_WITH(attention_weights(randn({4, 5}, gen), {}), Contains("expected scores [B,H,T,S]"));
}
