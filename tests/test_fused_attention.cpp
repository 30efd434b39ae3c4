// scaled_dot_attention against the composed ops it replaces (matmul, scale, masked_fill,
// softmax, matmul): the output and all three gradients, float32 and float64, across
// shapes (S != T, ev != e, grouped heads, past keys, several row blocks, padding with
// fully masked rows, permuted and copied layouts); one tape entry; the same bits at any
// thread count and with or without grad; MultiHeadAttention's fused path against its
// composed path (need_weights = true keeps the composed one); errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

#include "autograd/autograd.h"
#include "nn/attention.h"
#include "checks/layers/layer_cases.h"
#include "attention_test_support.h"

using namespace qkv;
using Catch::Contains;

namespace {

struct Problem {
  std::string name;
  int64_t B, H, Hkv, T, S, e, ev;
  bool causal = false;
  int64_t past = 0;
  std::vector<int32_t> padding;  // [B, S] or empty
  bool permuted = false;         // q, k, v as split_heads' views of [B, L, H, e]
};

struct Inputs {
  Tensor q, k, v, padding, grad_out;
};

Tensor input(const Problem& p, int64_t h, int64_t L, int64_t e, DType dt, Generator& gen) {
  return test::head_input(p.B, h, L, e, p.permuted, dt, gen);
}

Inputs make_inputs(const Problem& p, DType dt, uint64_t seed = 11) {
  Generator gen(seed);
  Inputs in;
  in.q = input(p, p.H, p.T, p.e, dt, gen);
  in.k = input(p, p.Hkv, p.S, p.e, dt, gen);
  in.v = input(p, p.Hkv, p.S, p.ev, dt, gen);
  if (!p.padding.empty()) in.padding = Tensor::from(p.padding, {p.B, p.S});
  in.grad_out = randn({p.B, p.H, p.T, p.ev}, gen, dt);
  return in;
}

double scale_of(const Problem& p) { return 1.0 / std::sqrt(static_cast<double>(p.e)); }

// The composed ops of nn/attention.cpp: grouped heads repeated, -inf at masked keys.
Tensor composed(const Problem& p, const Inputs& in) {
  auto repeat = [&](const Tensor& t) {
    if (p.Hkv == p.H) return t;
    const int64_t L = t.size(2), e = t.size(3);
    return t.unsqueeze(2).expand({p.B, p.Hkv, p.H / p.Hkv, L, e}).reshape({p.B, p.H, L, e});
  };
  const double inf = std::numeric_limits<double>::infinity();
  Tensor scores = matmul(in.q, repeat(in.k).transpose(-2, -1)) * scale_of(p);
  if (p.causal) scores = masked_fill(scores, causal_mask(p.T, p.S, p.past), -inf);
  if (in.padding.defined()) scores = masked_fill(scores, in.padding.reshape({p.B, 1, 1, p.S}), -inf);
  return matmul(softmax(scores, -1), repeat(in.v));
}

Tensor fused(const Problem& p, const Inputs& in) {
  return scaled_dot_attention(in.q, in.k, in.v, scale_of(p), p.causal, p.past, in.padding);
}

using Result = test::AttentionResult;
using test::max_rel_diff;

Result run(const Problem& p, const Inputs& in, Tensor (*f)(const Problem&, const Inputs&)) {
  return test::backward_of(in.q, in.k, in.v, in.grad_out, [&] { return f(p, in); });
}

bool same_bits(const Tensor& a, const Tensor& b) { return a.to_vector<double>() == b.to_vector<double>(); }

// A layer's output (from forward(need_weights)) and the gradients of sum(out^2) for x and
// every parameter; then the composed path (need_weights) against the fused one, to 1e-12.
// need_weights keeps MultiHeadAttention on the composed ops, so the two can be compared.
std::vector<Tensor> output_and_grads(nn::MultiHeadAttention& m, const Tensor& x,
                                     const std::function<Tensor(bool need_weights)>& forward, bool need_weights) {
  m.zero_grad();
  x.zero_grad();
  Tensor out = forward(need_weights);
  sum(out * out).backward();
  std::vector<Tensor> g{out.detach(), x.grad()};
  for (auto& [name, p] : m.named_parameters()) g.push_back(p.grad());
  return g;
}

std::vector<Tensor> check_fused_equals_composed(nn::MultiHeadAttention& m, const Tensor& x,
                                                const std::function<Tensor(bool need_weights)>& forward) {
  std::vector<Tensor> composed_g = output_and_grads(m, x, forward, true), fused_g = output_and_grads(m, x, forward, false);
  REQUIRE(composed_g.size() == fused_g.size());
  for (size_t i = 0; i < fused_g.size(); ++i) CHECK(max_rel_diff(fused_g[i], composed_g[i]) <= 1e-12);
  return composed_g;
}

const std::vector<Problem>& problems() {
  static const std::vector<Problem> all = {
      {"one block, causal", 2, 3, 3, 5, 5, 4, 4, true, 0, {}, false},
      {"cross, S != T, ev != e", 2, 2, 2, 6, 11, 3, 5, false, 0, {}, false},
      {"grouped heads, causal with 2 past keys", 2, 4, 2, 7, 9, 3, 5, true, 2, {}, false},
      {"three row blocks, causal (T 150)", 1, 2, 2, 150, 150, 8, 8, true, 0, {}, false},
      {"three row blocks, cross, grouped (T 130, S 70)", 1, 4, 1, 130, 70, 8, 6, false, 0, {}, false},
      {"padding, batch 1 fully masked", 2, 2, 2, 3, 4, 4, 4, false, 0, {0, 1, 0, 1, 1, 1, 1, 1}, false},
      {"causal + padding, query 0 sees nothing", 2, 2, 2, 4, 4, 4, 4, true, 0, {1, 0, 0, 1, 0, 0, 1, 0}, false},
      {"split_heads views, causal", 2, 3, 3, 9, 9, 4, 4, true, 0, {}, true},
      {"split_heads views, grouped cross", 2, 4, 2, 5, 8, 4, 4, false, 0, {}, true},
  };
  return all;
}

}  // namespace

TEST_CASE("fused attention equals the composed ops: output and every gradient", "[fused_attention]") {
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 1e-5 : 1e-12;
    for (const Problem& p : problems()) {
      INFO(p.name << " in " << dtype_name(dt));
      Inputs in = make_inputs(p, dt);
      Result want = run(p, in, composed), got = run(p, in, fused);
      CHECK(max_rel_diff(got.out, want.out) <= tol);
      CHECK(max_rel_diff(got.dq, want.dq) <= tol);
      CHECK(max_rel_diff(got.dk, want.dk) <= tol);
      CHECK(max_rel_diff(got.dv, want.dv) <= tol);
    }
  }
}

// With dropout, the fused op draws the mask the composed path's dropout() draws on the
// [B, H, T, S] weights from the same generator state: the same output and gradients.
TEST_CASE("fused attention with dropout equals the composed ops with dropout", "[fused_attention]") {
  constexpr double kP = 0.3;
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 1e-5 : 1e-12;
    for (const Problem& p : problems()) {
      if (p.Hkv != p.H) continue;  // the composed reference below repeats no heads
      INFO(p.name << " in " << dtype_name(dt));
      Inputs in = make_inputs(p, dt);
      auto composed_dropout = +[](const Problem& pr, const Inputs& x) {
        Generator gen(77);
        const double inf = std::numeric_limits<double>::infinity();
        Tensor scores = matmul(x.q, x.k.transpose(-2, -1)) * scale_of(pr);
        if (pr.causal) scores = masked_fill(scores, causal_mask(pr.T, pr.S, pr.past), -inf);
        if (x.padding.defined()) scores = masked_fill(scores, x.padding.reshape({pr.B, 1, 1, pr.S}), -inf);
        return matmul(dropout(softmax(scores, -1), kP, true, gen), x.v);
      };
      auto fused_dropout = +[](const Problem& pr, const Inputs& x) {
        Generator gen(77);
        return scaled_dot_attention(x.q, x.k, x.v, scale_of(pr), pr.causal, pr.past, x.padding, kP, &gen);
      };
      Result want = run(p, in, composed_dropout), got = run(p, in, fused_dropout);
      CHECK(max_rel_diff(got.out, want.out) <= tol);
      CHECK(max_rel_diff(got.dq, want.dq) <= tol);
      CHECK(max_rel_diff(got.dk, want.dk) <= tol);
      CHECK(max_rel_diff(got.dv, want.dv) <= tol);
      // and the dropout did something: not the output without it
      CHECK(max_rel_diff(got.out, run(p, in, fused).out) > 1e-3);
    }
  }
}

TEST_CASE("fused attention: a fully masked row gives zeros and a zero gradient", "[fused_attention]") {
  const Problem& p = problems()[6];  // causal + padding: query 0 of batch 0 sees no key
  Inputs in = make_inputs(p, DType::f64);
  Result r = run(p, in, fused);
  for (int64_t h = 0; h < p.H; ++h) {
    for (double x : r.out.slice(0, 0, 1).slice(1, h, h + 1).slice(2, 0, 1).to_vector<double>()) CHECK(x == 0);
    for (double x : r.dq.slice(0, 0, 1).slice(1, h, h + 1).slice(2, 0, 1).to_vector<double>()) CHECK(x == 0);
  }
  for (double x : r.dq.to_vector<double>()) CHECK(std::isfinite(x));
}

TEST_CASE("fused attention records one tape entry and reads split_heads views in place", "[fused_attention]") {
  const Problem& p = problems()[7];
  Inputs in = make_inputs(p, DType::f32);
  const int64_t before = tape().size();
  Tensor out = fused(p, in);
  CHECK(tape().size() == before + 1);
  // The output follows q's [B, T, H, e] memory order, so merge_heads is a view.
  CHECK(out.permute({0, 2, 1, 3}).is_contiguous());
  tape().clear();
}

TEST_CASE("fused attention is deterministic: repeated, 1 or 2 threads, with or without grad", "[fused_attention]") {
  const int threads = num_threads();
  for (const Problem& p : {problems()[2], problems()[3], problems()[4]}) {
    INFO(p.name);
    Inputs in = make_inputs(p, DType::f32);
    set_num_threads(2);
    Result a = run(p, in, fused), b = run(p, in, fused);
    set_num_threads(1);
    Result c = run(p, in, fused);
    set_num_threads(threads);
    Tensor no_grad_out;
    {
      NoGradGuard no_grad;
      no_grad_out = fused(p, in);
    }
    for (const Result& r : {b, c}) {
      CHECK(same_bits(r.out, a.out));
      CHECK(same_bits(r.dq, a.dq));
      CHECK(same_bits(r.dk, a.dk));
      CHECK(same_bits(r.dv, a.dv));
    }
    CHECK(same_bits(no_grad_out, a.out));
  }
}

TEST_CASE("fused attention: shape errors name the inputs", "[fused_attention]") {
  Generator gen(1);
  Tensor q = randn({1, 3, 4, 2}, gen), k = randn({1, 2, 5, 2}, gen), v = randn({1, 2, 5, 2}, gen);
  CHECK_THROWS_WITH(scaled_dot_attention(q, k, v, 1.0), Contains("must be a multiple"));
  CHECK_THROWS_WITH(scaled_dot_attention(q.slice(1, 0, 2), k, randn({1, 2, 4, 2}, gen), 1.0),
                    Contains("shapes do not fit"));
  CHECK_THROWS_WITH(scaled_dot_attention(q.slice(1, 0, 2), k, v, 1.0, false, 0, zeros({1, 4}, DType::i32)),
                    Contains("key_padding must be [B,S] = [1,5]"));
}

// MultiHeadAttention takes the fused op for the dot score when no weights are asked for;
// asking for the weights keeps the composed ops, so the two paths can be compared.
TEST_CASE("MultiHeadAttention: the fused path equals the composed path", "[fused_attention][attention]") {
  struct LayerProblem {
    std::string switches;
    bool causal, cross, padding, cached;
  };
  const std::vector<LayerProblem> layers = {
      {"full", true, false, false, false},     {"gqa+rope", true, false, false, false},
      {"shared_qk", false, false, true, false}, {"full", false, true, true, false},
      {"no_q+no_k+no_v+no_o", true, false, false, false}, {"gqa", true, false, false, true},
  };
  const int64_t B = 2, T = 6, S = 5, d = 8;
  for (const LayerProblem& lp : layers) {
    INFO(lp.switches << (lp.causal ? " causal" : "") << (lp.cross ? " cross" : "") << (lp.padding ? " padding" : "")
                     << (lp.cached ? " cache" : ""));
    const nn::AttentionOptions o = nn::attention_case_options(lp.switches, d, 4, lp.causal, lp.cross);
    Generator gen(5);
    nn::MultiHeadAttention m(o, gen);
    m.to(DType::f64);
    Tensor x = randn({B, T, d}, gen, DType::f64).requires_grad_();
    Tensor memory = lp.cross ? randn({B, S, d}, gen, DType::f64) : Tensor();
    Tensor pad;
    if (lp.padding) {
      std::vector<int32_t> mask(B * (lp.cross ? S : T), 0);
      mask[1] = mask.back() = 1;
      pad = Tensor::from(mask, {B, lp.cross ? S : T});
    }
    auto forward = [&](bool need_weights) {
      if (!lp.cached) return m.forward(x, memory, pad, nullptr, need_weights).out;
      nn::KVCache cache;
      Tensor first = m.forward(x.slice(1, 0, 4), memory, pad, &cache, need_weights).out;
      return concat({first, m.forward(x.slice(1, 4, T), memory, pad, &cache, need_weights).out}, 1);
    };
    check_fused_equals_composed(m, x, forward);
  }
}

TEST_CASE("MultiHeadAttention with attention dropout: the fused path equals the composed path", "[fused_attention][attention]") {
  const int64_t B = 2, T = 70, d = 8;  // two row blocks
  nn::AttentionOptions o;
  o.d_model = d;
  o.n_head = 2;
  o.causal = true;
  o.dropout = 0.25;
  o.init_std = o.out_init_std = 0.5;
  Generator gen(5), dropout_gen(9);
  nn::MultiHeadAttention m(o, gen, &dropout_gen);
  m.to(DType::f64);
  m.train();
  Tensor x = randn({B, T, d}, gen, DType::f64).requires_grad_();
  const Generator::State start = dropout_gen.state();
  const std::vector<Tensor> composed_g = check_fused_equals_composed(m, x, [&](bool need_weights) {
    dropout_gen.set_state(start);  // both paths draw from the same generator state
    return m.forward(x, Tensor(), Tensor(), nullptr, need_weights).out;
  });
  // Evaluation mode: no dropout, so a different output from training's.
  m.eval();
  dropout_gen.set_state(start);
  CHECK(max_rel_diff(m.forward(x).out, composed_g[0]) > 1e-6);
}
