// Indexing, joining, masking and dropout: forward values by hand, scatter-add backward,
// determinism across thread counts, dropout statistics, and the error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
Tensor ids64(std::vector<int64_t> v, const Dims& shape) { return Tensor::from(v, shape); }
Tensor ids32(std::vector<int32_t> v, const Dims& shape) { return Tensor::from(v, shape); }

// Runs f with n threads, then restores the previous count.
template <typename F>
auto with_threads(int n, F f) {
  int before = num_threads();
  set_num_threads(n);
  auto result = f();
  set_num_threads(before);
  return result;
}
}  // namespace

TEST_CASE("embedding gathers rows for any id shape and weight layout", "[indexing]") {
  Tensor w = Tensor::from({0, 1, 10, 11, 20, 21}, {3, 2}, DType::f64);
  Tensor out = embedding(w, ids64({2, 0, 1, 2}, {2, 2}));
  CHECK(out.shape() == Dims{2, 2, 2});
  CHECK(values(out) == std::vector<double>{20, 21, 0, 1, 10, 11, 20, 21});

  // int32 ids and a transposed (non-contiguous) weight give the same rows.
  Tensor wt = Tensor::from({0, 10, 20, 1, 11, 21}, {2, 3}, DType::f64).transpose(0, 1);
  REQUIRE_FALSE(wt.is_contiguous());
  CHECK(values(embedding(wt, ids32({1, 1}, {2}))) == std::vector<double>{10, 11, 10, 11});
}

TEST_CASE("embedding backward accumulates repeated ids", "[indexing]") {
  Tensor w = zeros({4, 2}, DType::f64).requires_grad_();
  Tensor ids = ids64({1, 3, 1, 1}, {4});
  Tensor c = Tensor::from({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}, DType::f64);
  sum(embedding(w, ids) * c).backward();
  // Row 1 receives rows 0, 2 and 3 of c: (1+5+7, 2+6+8); row 3 receives row 1; rows 0, 2 none.
  CHECK(values(w.grad()) == std::vector<double>{0, 0, 13, 16, 0, 0, 3, 4});
}

TEST_CASE("embedding backward is identical with 1 and 2 threads", "[indexing]") {
  const int64_t V = 50, D = 256, N = 20000;
  Generator gen(5);
  std::vector<int64_t> id_values(N);
  for (auto& v : id_values) v = static_cast<int64_t>(gen.next_u64() % V);
  Tensor ids = Tensor::from(id_values, {N});
  Tensor g = randn({N, D}, gen, DType::f32);
  Tensor w0 = randn({V, D}, gen, DType::f32);
  auto weight_grad = [&] {
    Tensor w = w0.detach().requires_grad_();
    embedding(w, ids).backward(g);
    return w.grad().to_vector<float>();
  };
  std::vector<float> one = with_threads(1, weight_grad);
  std::vector<float> two = with_threads(2, weight_grad);
  CHECK(one == two);  // bit for bit

  // And equal to a plain serial scatter-add in id order.
  std::vector<float> expect(V * D, 0.0f);
  std::vector<float> gv = g.to_vector<float>();
  for (int64_t i = 0; i < N; ++i)
    for (int64_t c = 0; c < D; ++c) expect[id_values[i] * D + c] += gv[i * D + c];
  CHECK(one == expect);
}

TEST_CASE("index_select picks entries along a dim and scatters back", "[indexing]") {
  Tensor x = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).requires_grad_();
  Tensor cols = index_select(x, 1, ids32({2, 0, 2}, {3}));
  CHECK(cols.shape() == Dims{2, 3});
  CHECK(values(cols) == std::vector<double>{3, 1, 3, 6, 4, 6});
  CHECK(values(index_select(x, 0, ids64({1}, {1}))) == std::vector<double>{4, 5, 6});
  sum(cols).backward();
  CHECK(values(x.grad()) == std::vector<double>{1, 0, 2, 1, 0, 2});  // column 2 picked twice
}

TEST_CASE("index_select backward splits rows across threads without changing the result", "[indexing]") {
  // 63 x 33 (outer, inner) positions: two threads split the plane in the middle of a row.
  const int64_t outer = 63, n = 40, inner = 33, K = 500;
  Generator gen(8);
  std::vector<int64_t> id_values(K);
  for (auto& v : id_values) v = static_cast<int64_t>(gen.next_u64() % n);
  Tensor idx = Tensor::from(id_values, {K});
  Tensor g = randn({outer, K, inner}, gen, DType::f32);
  auto x_grad = [&] {
    Tensor x = zeros({outer, n, inner}).requires_grad_();
    index_select(x, 1, idx).backward(g);
    return x.grad().to_vector<float>();
  };
  std::vector<float> one = with_threads(1, x_grad);
  std::vector<float> two = with_threads(2, x_grad);
  std::vector<float> expect(outer * n * inner, 0.0f);
  std::vector<float> gv = g.to_vector<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < inner; ++c) expect[(o * n + id_values[k]) * inner + c] += gv[(o * K + k) * inner + c];
  CHECK(one == expect);
  CHECK(two == expect);
}

TEST_CASE("gather follows torch.gather", "[indexing]") {
  Tensor x = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).requires_grad_();
  Tensor out = gather(x, 1, ids64({2, 0, 1, 1}, {2, 2}));
  CHECK(values(out) == std::vector<double>{3, 1, 5, 5});
  Tensor w = Tensor::from({1, 10, 100, 1000}, {2, 2}, DType::f64);
  sum(out * w).backward();
  CHECK(values(x.grad()) == std::vector<double>{10, 0, 1, 0, 1100, 0});
  // Dim 0 with an index smaller than x in dim 1.
  CHECK(values(gather(x.detach(), 0, ids64({1, 0}, {1, 2}))) == std::vector<double>{4, 2});
}

TEST_CASE("one_hot", "[indexing]") {
  Tensor oh = one_hot(ids32({2, 0}, {2}), 3);
  CHECK(oh.shape() == Dims{2, 3});
  CHECK(oh.dtype() == DType::f32);
  CHECK(values(oh) == std::vector<double>{0, 0, 1, 1, 0, 0});
  CHECK(one_hot(ids64({1}, {1, 1}), 2, DType::i64).shape() == Dims{1, 1, 2});
  REQUIRE_THROWS_WITH(one_hot(ids64({3}, {1}), 3), Contains("one_hot: id 3 is out of range [0, 3)"));
}

TEST_CASE("concat copies inputs into slices and hands each its slice of the gradient", "[indexing]") {
  Tensor a = Tensor::from({1, 2}, {2, 1}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({3, 5, 4, 6}, {2, 2}, DType::f64).transpose(0, 1).detach().requires_grad_();
  REQUIRE_FALSE(b.is_contiguous());  // b is [[3, 4], [5, 6]]
  Tensor out = concat({a, b}, 1);
  CHECK(out.shape() == Dims{2, 3});
  CHECK(values(out) == std::vector<double>{1, 3, 4, 2, 5, 6});
  CHECK(values(concat({a.detach(), a.detach()}, 0)) == std::vector<double>{1, 2, 1, 2});
  Tensor w = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64);
  sum(out * w).backward();
  CHECK(values(a.grad()) == std::vector<double>{1, 4});
  CHECK(values(b.grad()) == std::vector<double>{2, 3, 5, 6});
}

TEST_CASE("stack adds a new dim", "[indexing]") {
  Tensor a = Tensor::from({1, 2}, {2}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({3, 4}, {2}, DType::f64).requires_grad_();
  Tensor rows = stack({a, b}, 0);
  CHECK(rows.shape() == Dims{2, 2});
  CHECK(values(rows) == std::vector<double>{1, 2, 3, 4});
  Tensor cols = stack({a, b}, -1);
  CHECK(values(cols) == std::vector<double>{1, 3, 2, 4});
  sum(cols * Tensor::from({1, 2, 3, 4}, {2, 2}, DType::f64)).backward();
  CHECK(values(a.grad()) == std::vector<double>{1, 3});
  CHECK(values(b.grad()) == std::vector<double>{2, 4});
}

TEST_CASE("where broadcasts cond of any dtype and routes the gradient", "[indexing]") {
  Tensor cond = ids32({1, 0, 5}, {3});
  Tensor a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({-1}, {1}, DType::f64).requires_grad_();
  Tensor out = where(cond, a, b);
  CHECK(values(out) == std::vector<double>{1, -1, 3, 4, -1, 6});
  sum(out).backward();
  CHECK(values(a.grad()) == std::vector<double>{1, 0, 1, 1, 0, 1});
  CHECK(values(b.grad()) == std::vector<double>{2});  // chosen twice, summed over the broadcast
  Tensor fcond = Tensor::from({0.0, 0.5}, {2, 1}, DType::f32);
  CHECK(values(where(fcond, ones({2, 2}), zeros({2}))) == std::vector<double>{0, 0, 1, 1});
}

TEST_CASE("masked_fill with -inf and a zero gradient where masked", "[indexing]") {
  Tensor x = Tensor::from({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}, DType::f64).requires_grad_();
  Tensor out = masked_fill(x, causal_mask(2, 2), -std::numeric_limits<double>::infinity());
  std::vector<double> v = values(out);
  CHECK(v[0] == 1);
  CHECK(std::isinf(v[1]));
  CHECK(v[1] < 0);
  CHECK(v[2] == 3);
  CHECK(v[3] == 4);
  CHECK(std::isinf(v[5]));
  sum(masked_fill(x, causal_mask(2, 2), 0.0) * 2.0).backward();
  CHECK(values(x.grad()) == std::vector<double>{2, 0, 2, 2, 2, 0, 2, 2});
  REQUIRE_THROWS_WITH(masked_fill(x, ones({3}), 0.0), Contains("masked_fill"));
}

TEST_CASE("tril, triu and causal_mask", "[indexing]") {
  Tensor x = Tensor::from({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, DType::f64).requires_grad_();
  CHECK(values(tril(x)) == std::vector<double>{1, 0, 0, 4, 5, 0, 7, 8, 9});
  CHECK(values(tril(x, 1)) == std::vector<double>{1, 2, 0, 4, 5, 6, 7, 8, 9});
  CHECK(values(tril(x, -1)) == std::vector<double>{0, 0, 0, 4, 0, 0, 7, 8, 0});
  CHECK(values(triu(x)) == std::vector<double>{1, 2, 3, 0, 5, 6, 0, 0, 9});
  CHECK(values(triu(x, 1)) == std::vector<double>{0, 2, 3, 0, 0, 6, 0, 0, 0});
  sum(triu(x, 1)).backward();
  CHECK(values(x.grad()) == std::vector<double>{0, 1, 1, 0, 0, 1, 0, 0, 0});

  Tensor m = causal_mask(2, 3);
  CHECK(m.dtype() == DType::i32);
  CHECK(values(m) == std::vector<double>{0, 1, 1, 0, 0, 1});
  CHECK(values(causal_mask(2, 3, 1)) == std::vector<double>{0, 0, 1, 0, 0, 0});
  REQUIRE_THROWS_WITH(tril(ones({3})), Contains("tril: expected a tensor with at least 2 dims"));
}

TEST_CASE("dropout: same seed same mask, rate near p, survivors scaled, identity in eval", "[indexing]") {
  const double p = 0.3;
  Tensor x = ones({100000}, DType::f32);
  auto draw = [&](int threads) {
    return with_threads(threads, [&] {
      Generator gen(99);
      return dropout(x, p, true, gen).to_vector<float>();
    });
  };
  std::vector<float> a = draw(1), b = draw(2);
  CHECK(a == b);

  int64_t zeros_seen = 0;
  bool survivors_scaled = true;
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  for (float v : a) {
    if (v == 0.0f) ++zeros_seen;
    else survivors_scaled &= v == scale;
  }
  CHECK(survivors_scaled);
  CHECK(static_cast<double>(zeros_seen) / a.size() == Approx(p).margin(0.01));  // sd 0.0015

  Generator other(100);
  CHECK(dropout(x, p, true, other).to_vector<float>() != a);
  // Successive calls on one generator draw different masks, and each call moves the
  // generator on by one draw only (what a checkpoint's /rng restores).
  Generator seq(99), one_draw(99);
  CHECK(dropout(x, p, true, seq).to_vector<float>() == a);
  CHECK(dropout(x, p, true, seq).to_vector<float>() != a);
  one_draw.next_u64();
  one_draw.next_u64();
  CHECK(seq.next_u64() == one_draw.next_u64());

  Generator gen(1);
  CHECK(dropout(x, p, false, gen).same(x));
  CHECK(dropout(x, 0.0, true, gen).same(x));
}

TEST_CASE("dropout backward uses the forward's mask", "[indexing]") {
  Tensor x = Tensor::from({1, 2, 3, 4, 5, 6, 7, 8}, {8}, DType::f64).requires_grad_();
  Generator gen(3);
  Tensor out = dropout(x, 0.5, true, gen);
  sum(out).backward();
  std::vector<double> y = values(out), gx = values(x.grad());
  for (size_t i = 0; i < y.size(); ++i) {
    INFO("element " << i);
    CHECK(gx[i] == (y[i] == 0 ? 0.0 : 2.0));  // mask * 1/(1-p)
    CHECK((y[i] == 0 || y[i] == 2 * (i + 1)));
  }
}

TEST_CASE("indexing errors name the op, the bad value and the sizes", "[indexing]") {
  Tensor w = zeros({5, 3});
  REQUIRE_THROWS_WITH(embedding(w, ids64({0, 5}, {2})),
                      Contains("embedding: id 5 is out of range [0, 5) for weight float32[5,3]"));
  REQUIRE_THROWS_WITH(embedding(w, ids32({-1}, {1})), Contains("embedding: id -1 is out of range [0, 5)"));
  REQUIRE_THROWS_WITH(embedding(w, zeros({2})), Contains("embedding: expected int32 or int64 indices"));
  REQUIRE_THROWS_WITH(index_select(w, 1, ids64({3}, {1})),
                      Contains("index_select: index 3 is out of range [0, 3) for dim 1 of float32[5,3]"));
  REQUIRE_THROWS_WITH(gather(w, 0, ids64({7}, {1, 1})), Contains("gather: index 7 is out of range [0, 5)"));
  REQUIRE_THROWS_WITH(gather(w, 0, ids64({0, 0, 0, 0}, {1, 4})), Contains("gather: index [1,4] is larger than x [5,3]"));

  REQUIRE_THROWS_WITH(concat({zeros({2, 3}), zeros({3, 3}), zeros({2, 4})}, 1),
                      Contains("concat: tensor 1 has shape [3,3] but tensor 0 has shape [2,3]"));
  REQUIRE_THROWS_WITH(concat({zeros({2, 3}), zeros({2, 3}, DType::f64)}, 0),
                      Contains("concat: tensor 1 is float64[2,3] but tensor 0 is float32[2,3]"));
  REQUIRE_THROWS_WITH(stack({zeros({2, 3}), zeros({2, 4})}, 0),
                      Contains("stack: tensor 1 has shape [2,4] but tensor 0 has shape [2,3]"));

  Generator gen(0);
  REQUIRE_THROWS_WITH(dropout(w, 1.0, true, gen), Contains("dropout: p must be in [0, 1), got 1"));
  REQUIRE_THROWS_WITH(dropout(w, -0.1, true, gen), Contains("dropout: p must be in [0, 1), got -0.1"));
}
