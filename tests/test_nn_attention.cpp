// MultiHeadAttention: forward values by hand, masks, head layout (identity projections,
// GQA grouping), shared QK symmetry, the KV cache against the full forward, fully
// masked rows, RoPE, dropout, parameter names and counts, every config error, and the
// gradcheck cases of every variant.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "autograd/autograd.h"
#include "checks/layers/layer_cases.h"
#include "nn/attention.h"
#include "nn/attention_variants.h"

using namespace qkv;
using namespace qkv::nn;
using Catch::Contains;

namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  std::vector<double> x = values(a), y = values(b);
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

bool all_finite(const Tensor& t) {
  for (double v : values(t))
    if (!std::isfinite(v)) return false;
  return true;
}

// Options from switches joined by '+', as the gradcheck case names ("gqa+rope").
AttentionOptions options(const std::string& switches, int64_t d = 8, int64_t heads = 2, bool causal = false,
                         bool cross = false) {
  return attention_case_options(switches, d, heads, causal, cross);
}

// A float64 module whose parameters are all drawn with std 0.5 (biases too).
std::shared_ptr<MultiHeadAttention> make(const AttentionOptions& o, uint64_t seed = 7) {
  Generator gen(seed);
  auto m = std::make_shared<MultiHeadAttention>(o, gen);
  m->to(DType::f64);
  for (auto& [name, p] : m->named_parameters()) copy_(p, randn(p.shape(), gen, DType::f64, 0.0, 0.5));
  return m;
}

Tensor random_input(const Dims& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen, DType::f64);
}

Tensor eye(int64_t n) {
  std::vector<double> v(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1;
  return Tensor::from(v, {n, n});
}

Tensor mask(std::vector<int32_t> v, const Dims& shape) { return Tensor::from(v, shape); }

void set(const Tensor& p, std::initializer_list<double> v) { copy_(p, Tensor::from(v, p.shape(), DType::f64)); }

}  // namespace

TEST_CASE("one head with identity projections: softmax(x x^T / sqrt(d)) x", "[attention]") {
  auto m = make(options("no_q+no_k+no_v+no_o", 2, 1));
  CHECK(m->num_parameters() == 0);
  Tensor x = Tensor::from({1, 0, 0, 1, 1, 1}, {1, 3, 2}, DType::f64);
  AttentionOutput r = m->forward(x, Tensor(), Tensor(), nullptr, true);
  // scores = [[1,0,1],[0,1,1],[1,1,2]] / sqrt(2), softmax per row (torch, float64).
  CHECK(r.weights.shape() == Dims{1, 1, 3, 3});
  std::vector<double> w = values(r.weights);
  std::vector<double> expected_w = {0.4011120927, 0.1977758146, 0.4011120927, 0.1977758146, 0.4011120927,
                                    0.4011120927, 0.2482550783, 0.2482550783, 0.5034898435};
  for (size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(expected_w[i]).margin(1e-10));
  std::vector<double> out = values(r.out);
  std::vector<double> expected = {0.8022241854, 0.5988879073, 0.5988879073, 0.8022241854, 0.7517449217, 0.7517449217};
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(expected[i]).margin(1e-10));
}

TEST_CASE("two heads with known weights: head h reads column h, o_proj in [out, in] layout", "[attention]") {
  auto m = make(options("full", 2, 2));  // dh = 1
  set(m->q_proj->weight, {1, 0, 0, 1});
  set(m->q_proj->bias, {0, 0});
  set(m->k_proj->weight, {1, 0, 0, 1});
  set(m->k_proj->bias, {0, 0});
  set(m->v_proj->weight, {1, 0, 0, 2});
  set(m->v_proj->bias, {0.5, -1});
  set(m->o_proj->weight, {0, 1, 1, 0});  // swaps the heads
  set(m->o_proj->bias, {10, 20});
  Tensor x = Tensor::from({1, 2, 3, -1}, {1, 2, 2}, DType::f64);
  AttentionOutput r = m->forward(x, Tensor(), Tensor(), nullptr, true);
  // Head 0 scores [[1,3],[3,9]], head 1 [[4,-2],[-2,1]] (dh = 1: no scaling); torch, float64.
  std::vector<double> w = values(r.weights);
  std::vector<double> expected_w = {0.1192029220, 0.8807970780, 0.0024726232, 0.9975273768,
                                    0.9975273768, 0.0024726232, 0.0474258732, 0.9525741268};
  for (size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(expected_w[i]).margin(1e-10));
  std::vector<double> out = values(r.out);
  std::vector<double> expected = {12.9851642611, 23.2615941560, 7.2845552391, 23.4950547537};
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(expected[i]).margin(1e-9));
}

TEST_CASE("a removed projection equals that projection set to the identity", "[attention]") {
  Tensor x = random_input({2, 3, 8}, 1);
  for (const char* sw : {"no_q", "no_k", "no_v", "no_o"}) {
    auto full = make(options("full", 8, 2, true));
    std::string proj = std::string(sw).substr(3) + "_proj";  // "q_proj", ...
    auto state = full->state_dict();
    copy_(state.at(proj + ".weight"), eye(8));
    copy_(state.at(proj + ".bias"), zeros({8}, DType::f64));
    auto without = make(options(sw, 8, 2, true));
    state.erase(proj + ".weight");
    state.erase(proj + ".bias");
    without->load_state_dict(state);
    INFO(sw);
    CHECK(max_abs_diff(full->forward(x).out, without->forward(x).out) < 1e-12);
  }
}

TEST_CASE("weights: rows sum to 1, zero at causal and padded keys", "[attention]") {
  for (const char* v : {"full", "rbf", "cosine", "additive", "bilinear_qk", "gqa+rope"}) {
    INFO(v);
    auto m = make(options(v, 8, 2, true));
    Tensor pad = mask({0, 0, 0, 1, 0, 1, 0, 0}, {2, 4});
    Tensor w = m->forward(random_input({2, 4, 8}, 2), Tensor(), pad, nullptr, true).weights;
    REQUIRE(w.shape() == Dims{2, 2, 4, 4});
    std::vector<double> wv = values(w);
    std::vector<int32_t> pv = pad.to_vector<int32_t>();
    for (int b = 0; b < 2; ++b)
      for (int h = 0; h < 2; ++h)
        for (int t = 0; t < 4; ++t) {
          double row = 0;
          for (int s = 0; s < 4; ++s) {
            double x = wv[((b * 2 + h) * 4 + t) * 4 + s];
            if (s > t || pv[b * 4 + s]) CHECK(x == 0.0);
            row += x;
          }
          CHECK(row == Approx(1.0).margin(1e-12));
        }
  }
}

TEST_CASE("causal: the output at t does not depend on x after t", "[attention]") {
  for (const char* v : {"full", "rope", "rbf", "cosine", "additive", "bilinear_qk", "gqa", "no_q+no_k+no_v+no_o"}) {
    INFO(v);
    auto m = make(options(v, 8, 2, true));
    Tensor x = random_input({2, 5, 8}, 3);
    Tensor changed = x.clone();
    copy_(changed.slice(1, 3, 5), random_input({2, 2, 8}, 4));
    Tensor a = m->forward(x).out, b = m->forward(changed).out;
    CHECK(max_abs_diff(a.slice(1, 0, 3), b.slice(1, 0, 3)) == 0.0);
    CHECK(max_abs_diff(a.slice(1, 3, 5), b.slice(1, 3, 5)) > 1e-3);
    // Without the causal mask the first positions do see the change.
    auto open = make(options(v, 8, 2, false));
    CHECK(max_abs_diff(open->forward(x).out.slice(1, 0, 3), open->forward(changed).out.slice(1, 0, 3)) > 1e-3);
  }
}

TEST_CASE("cross-attention ignores causal and reads keys from memory", "[attention]") {
  auto causal = make(options("full", 8, 2, true, true));
  auto open = make(options("full", 8, 2, false, true));
  Tensor x = random_input({2, 3, 8}, 5), memory = random_input({2, 4, 8}, 6);
  AttentionOutput a = causal->forward(x, memory, Tensor(), nullptr, true);
  CHECK(a.weights.shape() == Dims{2, 2, 3, 4});
  CHECK(max_abs_diff(a.out, open->forward(x, memory).out) == 0.0);
  // Self-attention given x as memory is plain self-attention.
  auto self = make(options("full", 8, 2, false));
  CHECK(max_abs_diff(self->forward(x, x).out, self->forward(x).out) == 0.0);
}

TEST_CASE("shared qk: one parameter, symmetric scores", "[attention]") {
  auto m = make(options("shared_qk", 8, 2));
  CHECK(m->k_proj.get() == m->q_proj.get());
  CHECK(m->num_parameters() == 3 * (64 + 8));
  for (auto& [name, p] : m->named_parameters()) CHECK(name.rfind("k_proj", 0) == std::string::npos);

  // With symmetric scores s, log w_ij = s_ij - lse_i, so D = log w - (log w)^T is
  // lse_j - lse_i and every cycle D_ij + D_jk + D_ki vanishes. Separate Wq, Wk break it.
  auto worst_cycle = [](const MultiHeadAttention& mod) {
    Tensor w = mod.forward(random_input({1, 4, 8}, 7), Tensor(), Tensor(), nullptr, true).weights;
    std::vector<double> lw = values(log(w));
    double worst = 0;
    for (int h = 0; h < 2; ++h) {
      auto D = [&](int i, int j) { return lw[(h * 4 + i) * 4 + j] - lw[(h * 4 + j) * 4 + i]; };
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
          for (int k = 0; k < 4; ++k) worst = std::max(worst, std::abs(D(i, j) + D(j, k) + D(k, i)));
    }
    return worst;
  };
  CHECK(worst_cycle(*m) < 1e-10);
  CHECK(worst_cycle(*make(options("full", 8, 2))) > 1e-2);
  CHECK(worst_cycle(*make(options("shared_qk+cosine", 8, 2))) < 1e-10);
}

TEST_CASE("gqa: query heads h of a group share key/value head h / (H / kv_heads)", "[attention]") {
  AttentionOptions o = options("full", 8, 4);  // dh = 2
  o.variant.kv_heads = 2;
  auto gqa = make(o, 11);
  auto full = make(options("full", 8, 4), 12);
  auto state = gqa->state_dict();
  // Full k/v weights: head h copies grouped head h / 2 (rows [2g, 2g + 2)).
  for (const char* proj : {"k_proj", "v_proj"}) {
    Tensor w = state.at(std::string(proj) + ".weight"), b = state.at(std::string(proj) + ".bias");
    state[std::string(proj) + ".weight"] = concat({w.slice(0, 0, 2), w.slice(0, 0, 2), w.slice(0, 2, 4), w.slice(0, 2, 4)}, 0);
    state[std::string(proj) + ".bias"] = concat({b.slice(0, 0, 2), b.slice(0, 0, 2), b.slice(0, 2, 4), b.slice(0, 2, 4)}, 0);
  }
  full->load_state_dict(state);
  Tensor x = random_input({2, 3, 8}, 8);
  CHECK(max_abs_diff(gqa->forward(x).out, full->forward(x).out) < 1e-12);
  CHECK(gqa->num_parameters() == (64 + 8) + 2 * (32 + 4) + (64 + 8));
}

TEST_CASE("kv cache: self-attention token by token equals the full causal forward", "[attention]") {
  for (const char* v : {"full", "rope", "gqa", "gqa+rope", "bilinear_qk", "rbf", "cosine", "additive", "shared_qk+rope",
                        "no_q+no_k+no_v+no_o"}) {
    INFO(v);
    auto m = make(options(v, 8, 2, true));
    Tensor x = random_input({2, 5, 8}, 10);
    Tensor pad = mask({0, 1, 0, 0, 0, 0, 0, 0, 1, 0}, {2, 5});
    Tensor full = m->forward(x, Tensor(), pad).out;
    for (int64_t step : {1, 2}) {  // one token at a time, and chunks 2 + 2 + 1
      KVCache cache;
      std::vector<Tensor> outs;
      for (int64_t t = 0; t < 5; t += step) {
        int64_t end = std::min<int64_t>(t + step, 5);
        outs.push_back(m->forward(x.slice(1, t, end), Tensor(), pad.slice(1, 0, end), &cache).out);
        CHECK(cache.length() == end);
      }
      CHECK(cache.queries == 5);
      CHECK(max_abs_diff(concat(outs, 1), full) < 1e-12);
    }
  }
}

TEST_CASE("kv cache: cross-attention computes memory keys once and matches the full forward", "[attention]") {
  for (const char* v : {"full", "rope", "gqa", "gqa+rope", "bilinear_qk", "additive", "no_k+no_v"}) {
    INFO(v);
    auto m = make(options(v, 8, 2, false, true));
    Tensor x = random_input({2, 5, 8}, 11), memory = random_input({2, 4, 8}, 12);
    Tensor pad = mask({0, 0, 1, 0, 1, 0, 0, 1}, {2, 4});
    Tensor full = m->forward(x, memory, pad).out;
    KVCache cache;
    std::vector<Tensor> outs;
    Tensor first_k;
    for (int64_t t = 0; t < 5; ++t) {
      // The memory is only needed on the first step: afterwards the cache holds it.
      outs.push_back(m->forward(x.slice(1, t, t + 1), t == 0 ? memory : Tensor(), pad, &cache).out);
      if (t == 0) first_k = cache.k;
      CHECK(cache.k.same(first_k));
      CHECK(cache.length() == 4);
    }
    CHECK(cache.queries == 5);
    CHECK(max_abs_diff(concat(outs, 1), full) < 1e-12);
    cache.reset();
    CHECK((cache.length() == 0 && cache.queries == 0));
  }
}

TEST_CASE("fully masked rows give zeros and zero, finite gradients", "[attention]") {
  for (const char* v : {"no_o", "no_o+rbf", "no_o+cosine", "no_o+additive", "bilinear_qk+no_o", "gqa+rope+no_o"}) {
    INFO(v);
    // Cross-attention, batch 1 fully padded.
    auto m = make(options(v, 8, 2, false, true));
    Tensor x = random_input({2, 3, 8}, 13).requires_grad_(), memory = random_input({2, 4, 8}, 14).requires_grad_();
    Tensor pad = mask({0, 1, 0, 0, 1, 1, 1, 1}, {2, 4});
    AttentionOutput r = m->forward(x, memory, pad, nullptr, true);
    CHECK(all_finite(r.out));
    CHECK(values(r.out.slice(0, 1, 2)) == std::vector<double>(24, 0.0));
    CHECK(values(r.weights.slice(0, 1, 2)) == std::vector<double>(24, 0.0));
    sum(r.out * random_input({2, 3, 8}, 15)).backward();
    CHECK(values(x.grad().slice(0, 1, 2)) == std::vector<double>(24, 0.0));
    CHECK(values(memory.grad().slice(0, 1, 2)) == std::vector<double>(32, 0.0));
    CHECK(all_finite(x.grad()));
    CHECK(all_finite(memory.grad()));
    for (auto& [name, p] : m->named_parameters()) {
      INFO(name);
      CHECK(all_finite(p.grad()));
    }
  }
  // Self-attention: causal + padding of key 0 leaves query 0 of batch 1 with no key.
  auto m = make(options("no_o", 8, 2, true));
  Tensor x = random_input({2, 3, 8}, 16).requires_grad_();
  Tensor out = m->forward(x, Tensor(), mask({0, 0, 1, 1, 0, 0}, {2, 3})).out;
  CHECK(values(out.slice(0, 1, 2).slice(1, 0, 1)) == std::vector<double>(8, 0.0));
  CHECK(values(out.slice(0, 1, 2).slice(1, 1, 2)) != std::vector<double>(8, 0.0));
  sum(out * out).backward();
  CHECK(all_finite(x.grad()));
  // With o_proj, a fully masked row is the output bias.
  auto with_o = make(options("full", 8, 2, false, true));
  Tensor o = with_o->forward(random_input({2, 3, 8}, 17), random_input({2, 4, 8}, 18),
                             mask({0, 0, 0, 0, 1, 1, 1, 1}, {2, 4})).out;
  CHECK(max_abs_diff(o.slice(0, 1, 2).slice(1, 2, 3).reshape({8}), with_o->o_proj->bias) == 0.0);
}

TEST_CASE("apply_rope rotates pairs (i, i + dh/2) by position * base^(-2i/dh)", "[attention]") {
  Tensor x = Tensor::from({1, 0, 1, 0}, {2, 2}, DType::f64);  // T 2, dh 2: angle = position
  CHECK_THAT(values(apply_rope(x, 0)), Catch::Matchers::Approx(std::vector<double>{1, 0, std::cos(1.0), std::sin(1.0)}));
  CHECK_THAT(values(apply_rope(x, 2)),
             Catch::Matchers::Approx(std::vector<double>{std::cos(2.0), std::sin(2.0), std::cos(3.0), std::sin(3.0)}));
  // dh 4, position 1: pair (0, 2) turns by 1, pair (1, 3) by 100^-1 (base 10000).
  Tensor y = Tensor::from({0, 0, 0, 0, 1, 2, 3, 4}, {2, 4}, DType::f64);
  const double c0 = std::cos(1.0), s0 = std::sin(1.0), c1 = std::cos(0.01), s1 = std::sin(0.01);
  CHECK_THAT(values(apply_rope(y, 0)),
             Catch::Matchers::Approx(std::vector<double>{0, 0, 0, 0, 1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 3 * c0 + 1 * s0,
                                               4 * c1 + 2 * s1}));
  // Dot products depend only on the distance between positions.
  Tensor q = random_input({1, 8}, 19), k = random_input({1, 8}, 20);
  auto dot_at = [&](int64_t m, int64_t n) { return sum(apply_rope(q, m) * apply_rope(k, n)).item(); };
  CHECK(dot_at(5, 2) == Approx(dot_at(9, 6)).epsilon(1e-12));
  CHECK(std::abs(dot_at(5, 2) - dot_at(5, 3)) > 1e-6);
  REQUIRE_THROWS_WITH(apply_rope(random_input({2, 3}, 1), 0), Contains("apply_rope: expected [..., T, dh] with an even dh"));
}

TEST_CASE("attention dropout: only in training, from the generator, weights are before dropout", "[attention]") {
  AttentionOptions o = options("full", 8, 2, true);
  o.dropout = 0.5;
  Generator init(3), drop(4);
  MultiHeadAttention m(o, init, &drop);
  m.to(DType::f64);
  Tensor x = random_input({2, 4, 8}, 21);
  AttentionOutput train = m.forward(x, Tensor(), Tensor(), nullptr, true);
  m.eval();
  AttentionOutput eval = m.forward(x, Tensor(), Tensor(), nullptr, true);
  CHECK(max_abs_diff(train.out, eval.out) > 1e-6);
  CHECK(max_abs_diff(train.weights, eval.weights) == 0.0);
  // Same generator state, same mask.
  m.train();
  drop = Generator(4);
  CHECK(max_abs_diff(m.forward(x).out, train.out) == 0.0);

  Generator g(1);
  MultiHeadAttention no_gen(o, g);
  REQUIRE_THROWS_WITH(no_gen.forward(random_input({1, 2, 8}, 1).to(DType::f32)),
                      Contains("attention: dropout = 0.5 in training needs a dropout generator"));
}

TEST_CASE("parameter names and counts", "[attention]") {
  std::vector<std::string> names;
  for (auto& [name, p] : make(options("full"))->named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias",
                                          "v_proj.weight", "v_proj.bias", "o_proj.weight", "o_proj.bias"});
  // d 8, H 2, bias: a projection is 64 + 8.
  CHECK(make(options("full"))->num_parameters() == 288);
  CHECK(make(options("shared_qk"))->num_parameters() == 216);
  CHECK(make(options("bilinear_qk"))->num_parameters() == 2 * 64 + 2 * (64 + 8));  // 272
  CHECK(make(options("cosine"))->num_parameters() == 290);
  CHECK(make(options("additive"))->num_parameters() == 288 + 2 * 4);
  CHECK(make(options("gqa"))->num_parameters() == 2 * 72 + 2 * (32 + 4));  // 216
  CHECK(make(options("no_q+no_o"))->num_parameters() == 144);
  AttentionOptions no_bias = options("full");
  no_bias.bias = false;
  CHECK(make(no_bias)->num_parameters() == 256);
  AttentionOptions wide = options("full");
  wide.head_dim = 3;  // 8 -> 6 -> 8
  CHECK(make(wide)->num_parameters() == 3 * (48 + 6) + (48 + 8));

  Generator gen(1);
  MultiHeadAttention cosine(options("cosine"), gen), additive(options("additive"), gen),
      bilinear(options("bilinear_qk"), gen);
  CHECK(values(cosine.score_param) == std::vector<double>{10, 10});
  CHECK(cosine.state_dict().count("tau") == 1);
  CHECK(additive.score_param.shape() == Dims{2, 4});
  CHECK(additive.state_dict().count("score_v") == 1);
  CHECK(bilinear.bilinear.shape() == Dims{2, 8, 8});
  CHECK((bilinear.q_proj == nullptr && bilinear.k_proj == nullptr));
  // bilinear replaces Wq and Wk, so their switches do not apply.
  MultiHeadAttention bilinear_no_q(options("bilinear_qk+no_q"), gen);
  CHECK(bilinear_no_q.num_parameters() == 272);
}

TEST_CASE("impossible configurations are errors that say why, before any parameter", "[attention]") {
  auto error_of = [](AttentionOptions o, const std::string& message) {
    INFO(message);
    REQUIRE_THROWS_WITH(o.validate(), Contains(message));
    Generator gen(5);
    auto before = gen.state();
    REQUIRE_THROWS_WITH(MultiHeadAttention(o, gen), Contains(message));
    CHECK(gen.state().s == before.s);  // nothing was drawn
  };
  AttentionOptions o = options("full");
  o.d_model = 10;
  o.n_head = 4;
  error_of(o, "attention: n_embd must be divisible by n_head when head_dim is not set (10 % 4 != 0)");
  o = options("full", 8, 4);
  o.variant.kv_heads = 3;
  error_of(o, "attention: n_head must be a multiple of kv_heads (4 % 3 != 0)");
  o.variant.kv_heads = -1;
  error_of(o, "attention: kv_heads must be >= 0");
  o = options("full", 0, 2);
  error_of(o, "attention: n_embd and n_head must be positive (got 0 and 2)");
  o = options("full");
  o.head_dim = -2;
  error_of(o, "attention: head_dim must be >= 0");
  o = options("full");
  o.dropout = 1.0;
  error_of(o, "attention: dropout must be in [0, 1), got 1");

  AttentionOptions wide = options("full");
  wide.head_dim = 3;
  for (const char* p : {"q", "o"}) {
    AttentionOptions w = wide;
    (p[0] == 'q' ? w.variant.q_proj : w.variant.o_proj) = false;
    error_of(w, fmt::format("attention: {}_proj = false needs n_head * head_dim == n_embd (2 * 3 != 8)", p));
  }
  for (const char* p : {"k", "v"}) {
    AttentionOptions grouped = options(std::string("no_") + p, 8, 4);
    grouped.variant.kv_heads = 2;
    error_of(grouped, fmt::format("attention: {}_proj = false needs kv_heads == n_head (2 != 4)", p));
    AttentionOptions w = wide;
    (p[0] == 'k' ? w.variant.k_proj : w.variant.v_proj) = false;
    error_of(w, fmt::format("attention: {}_proj = false needs kv_heads * head_dim == n_embd (2 * 3 != 8)", p));
  }
  error_of(options("bilinear_qk+rope"), "the rotation must sit between Wq and Wk");
  for (const char* s : {"rbf", "cosine", "additive"})
    error_of(options(std::string("bilinear_qk+") + s),
             fmt::format("attention: qk = bilinear defines the score itself (x W m^T / sqrt(dh)); score = {}", s));
  error_of(options("shared_qk+no_q"),
           "attention: qk = shared needs q_proj and k_proj both on or both off (q_proj = false, k_proj = true)");
  error_of(options("shared_qk+no_k"), "(q_proj = true, k_proj = false)");
  error_of(options("shared_qk+gqa"), "attention: qk = shared needs kv_heads == n_head (1 != 2)");
  AttentionOptions odd = options("rope");
  odd.head_dim = 3;
  error_of(odd, "attention: rope needs an even head_dim, got 3");
  AttentionOptions base = options("rope");
  base.rope_base = 0;
  error_of(base, "attention: rope_base must be positive, got 0");
  // Allowed: both projections removed with shared qk, GQA with projections.
  CHECK_NOTHROW(options("shared_qk+no_q+no_k").validate());
  CHECK_NOTHROW(options("gqa+rope+cosine").validate());
}

TEST_CASE("forward errors name the input and the expected shape", "[attention]") {
  auto m = make(options("full"));
  REQUIRE_THROWS_WITH(m->forward(random_input({2, 3, 6}, 1)),
                      Contains("attention: expected x [B,T,8], got float64[2,3,6]"));
  REQUIRE_THROWS_WITH(m->forward(random_input({2, 3, 8}, 1), random_input({3, 4, 8}, 2)),
                      Contains("attention: expected memory [2,S,8], got float64[3,4,8]"));
  REQUIRE_THROWS_WITH(m->forward(random_input({2, 3, 8}, 1), Tensor(), mask({0, 0}, {1, 2})),
                      Contains("attention: key_padding must be [B,S] = [2,3], got int32[1,2]"));
  auto cross = make(options("full", 8, 2, false, true));
  REQUIRE_THROWS_WITH(cross->forward(random_input({2, 3, 8}, 1)),
                      Contains("attention: cross-attention needs memory [B,S,8]"));
}

TEST_CASE("gradcheck cases cover every switch, self and cross, masks and the cache", "[attention]") {
  // The cases themselves run in test_nn_layers_gradcheck.cpp (every layer case).
  std::vector<LayerCase> cases;
  add_attention_layer_cases(cases);
  CHECK(cases.size() >= 30);
  auto has = [&](const std::string& variant) {
    return std::any_of(cases.begin(), cases.end(), [&](const LayerCase& c) { return c.variant == variant; });
  };
  for (const AttentionVariant& v : attention_variants())
    for (const char* mode : {"self", "cross"}) {
      INFO(v.name << "/" << mode);
      CHECK(has(v.name + "/" + mode));
    }
  for (const char* v : {"full/self/causal", "full/cross/padding", "full/self/causal+padding", "gqa+rope/self/causal",
                        "full/self/causal+cache", "rope/cross/padding+cache"})
    CHECK(has(v));
  for (const LayerCase& c : cases) {
    CHECK(c.layer == "attention");
    CHECK(c.inputs[0].requires_grad());
    CHECK(c.inputs[0].dtype() == DType::f64);
  }
}

// ---- attention.normalize in the layer (the op-level math: test_attention_normalize.cpp) ----

TEST_CASE("normalize = queries in an encoder: columns sum to 1 over real queries, padding takes nothing",
          "[attention][normalize]") {
  for (const char* v : {"normalize_queries", "normalize_queries+rbf", "normalize_queries+bilinear_qk"}) {
    INFO(v);
    auto m = make(options(v));  // self-attention without the causal mask: the encoder's role
    REQUIRE(m->options().variant.normalize == Normalize::queries);
    Tensor pad = mask({0, 0, 0, 1, 0, 1, 0, 0}, {2, 4});
    Tensor x = random_input({2, 4, 8}, 2);
    Tensor w = m->forward(x, Tensor(), pad, nullptr, true).weights;
    std::vector<double> wv = values(w);
    std::vector<int32_t> pv = pad.to_vector<int32_t>();
    for (int b = 0; b < 2; ++b)
      for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 4; ++s) {
          double column = 0;
          for (int t = 0; t < 4; ++t) {
            const double a = wv[((b * 2 + h) * 4 + t) * 4 + s];
            if (pv[b * 4 + s] || pv[b * 4 + t]) CHECK(a == 0.0);  // padded key or padded query
            column += a;
          }
          CHECK(column == Approx(pv[b * 4 + s] ? 0.0 : 1.0).margin(1e-12));
        }
    // The real positions' outputs do not depend on what sits at the padded positions.
    Tensor x2 = x.clone();
    {
      NoGradGuard no_grad;
      copy_(x2.slice(1, 3, 4).slice(0, 0, 1), random_input({1, 1, 8}, 9));
    }
    Tensor y1 = m->forward(x, Tensor(), pad).out, y2 = m->forward(x2, Tensor(), pad).out;
    CHECK(max_abs_diff(y1.slice(0, 0, 1).slice(1, 0, 3), y2.slice(0, 0, 1).slice(1, 0, 3)) < 1e-12);
  }
}

TEST_CASE("normalize = sigmoid: weights are sigmoid(score - log n), n the keys a row may see", "[attention][normalize]") {
  // One head with identity projections: the score is x_t . x_s / sqrt(d).
  AttentionOptions o = options("sigmoid+no_q+no_k+no_v+no_o", 4, 1, true);
  o.bias = false;
  auto m = make(o);
  Tensor x = random_input({1, 3, 4}, 3);
  Tensor pad = mask({0, 1, 0}, {1, 3});
  std::vector<double> w = values(m->forward(x, Tensor(), pad, nullptr, true).weights);
  std::vector<double> xv = values(x);
  for (int t = 0; t < 3; ++t) {
    const int visible = t == 0 ? 1 : t;  // causal, and key 1 is padded
    for (int s = 0; s < 3; ++s) {
      double dot = 0;
      for (int e = 0; e < 4; ++e) dot += xv[t * 4 + e] * xv[s * 4 + e];
      const double expected = (s > t || s == 1) ? 0.0 : 1.0 / (1.0 + std::exp(-(dot / 2.0 - std::log(visible))));
      CHECK(w[t * 3 + s] == Approx(expected).margin(1e-12));
    }
  }
  // Token by token through the cache equals the full causal forward.
  auto full = make(options("sigmoid+gqa", 8, 2, true));
  Tensor xs = random_input({2, 5, 8}, 4);
  Tensor whole = full->forward(xs).out;
  KVCache cache;
  std::vector<Tensor> steps;
  for (int t = 0; t < 5; ++t) steps.push_back(full->forward(xs.slice(1, t, t + 1), Tensor(), Tensor(), &cache).out);
  CHECK(max_abs_diff(concat(steps, 1), whole) < 1e-12);
}

TEST_CASE("normalize = queries is refused where a position would see later ones", "[attention][normalize]") {
  AttentionOptions o = options("full", 8, 2, true);
  o.variant.normalize = Normalize::queries;
  REQUIRE_THROWS_WITH(o.validate(), Contains("attention: normalize = queries cannot be used in causal self-attention") &&
                                        Contains("attention.encoder.normalize"));
  o = options("full", 8, 2, false, true);
  o.variant.normalize = Normalize::queries;
  REQUIRE_THROWS_WITH(o.validate(), Contains("attention: normalize = queries cannot be used in cross-attention"));
  o = options("full", 8, 2, false);
  o.variant.normalize = Normalize::queries;
  CHECK_NOTHROW(o.validate());  // an encoder's self-attention
}
