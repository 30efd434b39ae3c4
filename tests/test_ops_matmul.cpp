// matmul: values by hand, every path through it (fold, batched loop, transposed views,
// broadcast, copies) against the definition, gradients of the folded paths, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

namespace {

Tensor rnd(const Dims& shape, DType dtype, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen, DType::f64).to(dtype);
}

// C = A B by the definition (a triple loop in double), NumPy broadcasting of the batch dims.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, Dims& out_shape) {
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const Dims ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const Dims batch = broadcast_shapes(ba, bb, "naive");
  const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
  // Flat index of batch entry i in an operand with batch dims `own` (size-1 dims broadcast).
  auto operand_index = [&](int64_t i, const Dims& own) {
    int64_t idx = 0, mul = 1;
    for (int d = batch.size() - 1, od = own.size() - 1; d >= 0; --d, --od) {
      int64_t coord = i % batch[d];
      i /= batch[d];
      if (od < 0) continue;
      idx += (own[od] == 1 ? 0 : coord) * mul;
      mul *= own[od];
    }
    return idx;
  };
  std::vector<double> c(batch.numel() * m * n, 0.0);
  for (int64_t i = 0; i < batch.numel(); ++i) {
    const double* A = av.data() + operand_index(i, ba) * m * k;
    const double* B = bv.data() + operand_index(i, bb) * k * n;
    for (int64_t r = 0; r < m; ++r)
      for (int64_t col = 0; col < n; ++col) {
        double s = 0;
        for (int64_t j = 0; j < k; ++j) s += A[r * k + j] * B[j * n + col];
        c[(i * m + r) * n + col] = s;
      }
  }
  out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  return c;
}

// Largest |x - ref| and largest |ref|.
std::pair<double, double> errors(const Tensor& x, const std::vector<double>& ref) {
  std::vector<double> v = x.to_vector<double>();
  REQUIRE(v.size() == ref.size());
  double err = 0, scale = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    err = std::max(err, std::abs(v[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return {err, scale};
}

// Checks matmul(a, b) against the naive product, in float64 (abs 1e-12) and float32 (rel 1e-5).
void check_against_naive(const std::function<std::pair<Tensor, Tensor>(DType)>& operands) {
  for (DType dt : {DType::f64, DType::f32}) {
    auto [a, b] = operands(dt);
    INFO(describe(a) << " x " << describe(b) << " strides " << a.strides().str() << " x " << b.strides().str());
    Tensor c = matmul(a, b);
    Dims shape;
    std::vector<double> ref = naive_matmul(a, b, shape);
    CHECK(c.shape() == shape);
    CHECK(c.dtype() == dt);
    auto [err, scale] = errors(c, ref);
    if (dt == DType::f64)
      CHECK(err < 1e-12);
    else
      CHECK(err <= 1e-5 * scale);
  }
}

}  // namespace

TEST_CASE("matmul of a 2x3 and a 3x2 matrix, by hand", "[matmul]") {
  Tensor a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64);
  Tensor b = Tensor::from({7, 8, 9, 10, 11, 12}, {3, 2}, DType::f64);
  Tensor c = matmul(a, b);
  CHECK(c.shape() == Dims{2, 2});
  // [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
  CHECK(c.to_vector<double>() == std::vector<double>{58, 64, 139, 154});
  Tensor c32 = matmul(a.to(DType::f32), b.to(DType::f32));
  CHECK(c32.dtype() == DType::f32);
  CHECK(c32.to_vector<float>() == std::vector<float>{58, 64, 139, 154});
}

TEST_CASE("matmul matches the naive product on every path", "[matmul]") {
  using P = std::pair<Tensor, Tensor>;
  SECTION("2-D") { check_against_naive([](DType t) { return P{rnd({7, 5}, t, 1), rnd({5, 6}, t, 2)}; }); }
  SECTION("batch folded into M: 4-D x 2-D") {
    check_against_naive([](DType t) { return P{rnd({2, 3, 4, 5}, t, 3), rnd({5, 6}, t, 4)}; });
  }
  SECTION("Linear: x[B,T,C] @ W^T with W a transposed view") {
    check_against_naive([](DType t) { return P{rnd({3, 7, 5}, t, 5), rnd({6, 5}, t, 6).transpose(0, 1)}; });
  }
  SECTION("single-row matrices folded: [3,1,5] x [5,4]") {
    check_against_naive([](DType t) { return P{rnd({3, 1, 5}, t, 7), rnd({5, 4}, t, 8)}; });
  }
  SECTION("one row, as in cached sampling (a matrix-vector product), against W^T and W, and a strided row") {
    check_against_naive([](DType t) { return P{rnd({1, 1, 40}, t, 29), rnd({33, 40}, t, 30).transpose(0, 1)}; });
    check_against_naive([](DType t) { return P{rnd({1, 40}, t, 31), rnd({40, 33}, t, 32)}; });
    check_against_naive([](DType t) { return P{rnd({40, 3}, t, 33).slice(1, 1, 2).transpose(0, 1), rnd({40, 33}, t, 34)}; });
  }
  SECTION("batched loop, many small matrices (threads over the batch)") {
    check_against_naive([](DType t) { return P{rnd({4, 3, 6, 5}, t, 9), rnd({4, 3, 5, 7}, t, 10)}; });
  }
  SECTION("batched loop, few large matrices (BLAS threads each)") {
    check_against_naive([](DType t) { return P{rnd({2, 270, 250}, t, 11), rnd({2, 250, 265}, t, 12)}; });
  }
  SECTION("transposed views on both sides, batched") {
    check_against_naive([](DType t) {
      return P{rnd({3, 5, 4}, t, 13).transpose(-1, -2), rnd({3, 6, 5}, t, 14).transpose(-1, -2)};
    });
  }
  SECTION("a batch of transposed views is not foldable: per-matrix Trans") {
    check_against_naive([](DType t) { return P{rnd({3, 5, 4}, t, 15).transpose(-1, -2), rnd({5, 6}, t, 16)}; });
  }
  SECTION("broadcast batch [2,1,4,5] x [3,5,6]") {
    check_against_naive([](DType t) { return P{rnd({2, 1, 4, 5}, t, 17), rnd({3, 5, 6}, t, 18)}; });
  }
  SECTION("broadcast batch [4,5] x [3,5,6] and [1,3,4,5] x [2,1,5,6]") {
    check_against_naive([](DType t) { return P{rnd({4, 5}, t, 19), rnd({3, 5, 6}, t, 20)}; });
    check_against_naive([](DType t) { return P{rnd({1, 3, 4, 5}, t, 21), rnd({2, 1, 5, 6}, t, 22)}; });
  }
  SECTION("an expanded operand (stride-0 batch) is read in place") {
    check_against_naive([](DType t) { return P{rnd({3, 4, 5}, t, 23), rnd({5, 6}, t, 24).expand({3, 5, 6})}; });
  }
  SECTION("a step-2 slice and a permuted batch need a copy") {
    check_against_naive([](DType t) { return P{rnd({4, 10}, t, 25).slice(1, 0, 10, 2), rnd({5, 6}, t, 26)}; });
    check_against_naive([](DType t) {
      return P{rnd({4, 2, 5}, t, 27).permute({1, 0, 2}), rnd({2, 6, 5}, t, 28).transpose(-1, -2)};
    });
  }
}

TEST_CASE("linear of one row adds the bias once (the matrix-vector path accumulates onto it)", "[matmul]") {
  for (DType dt : {DType::f64, DType::f32}) {
    const Tensor x = rnd({1, 1, 40}, dt, 35), w = rnd({33, 40}, dt, 36), b = rnd({33}, dt, 37);
    const std::vector<double> got = linear(x, w, b).to_vector<double>();
    const std::vector<double> want = add(matmul(x, w.transpose(0, 1)), b).to_vector<double>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("matmul with empty dims", "[matmul]") {
  CHECK(matmul(zeros({0, 3}), zeros({3, 4})).shape() == Dims{0, 4});
  Tensor c = matmul(ones({2, 0}, DType::f64), ones({0, 3}, DType::f64));  // empty sums
  CHECK(c.shape() == Dims{2, 3});
  CHECK(c.to_vector<double>() == std::vector<double>(6, 0.0));
}

TEST_CASE("a transposed view gives the same result and gradients as its contiguous copy", "[matmul]") {
  for (DType dt : {DType::f64, DType::f32}) {
    Tensor x = rnd({2, 5, 6}, dt, 31);
    Tensor w = rnd({4, 6}, dt, 32).requires_grad_();    // Linear weight [out, in]
    Tensor wt = w.detach().transpose(0, 1).contiguous().requires_grad_();  // the same W^T, laid out
    Tensor g = rnd({2, 5, 4}, dt, 33);
    Tensor y_view = matmul(x, w.transpose(0, 1));
    sum(y_view * g).backward();  // (backward clears the tape: one graph at a time)
    Tensor y_copy = matmul(x, wt);
    sum(y_copy * g).backward();
    auto [err, scale] = errors(y_view, y_copy.to_vector<double>());
    CHECK(err <= (dt == DType::f64 ? 1e-13 : 1e-6) * scale);
    REQUIRE(w.grad().defined());
    REQUIRE(wt.grad().defined());
    // The view's gradient is W's: [4,6]; the copy's is W^T's: [6,4].
    auto [gerr, gscale] = errors(w.grad().transpose(0, 1), wt.grad().to_vector<double>());
    CHECK(gerr <= (dt == DType::f64 ? 1e-13 : 1e-6) * gscale);
  }
}

TEST_CASE("folded gradients: dW sums over the batch in one product", "[matmul]") {
  // x[B,T,C] @ W^T: dW^T = sum_b x_b^T g_b = x[B*T,C]^T g[B*T,N]; dx = g W.
  Tensor x = rnd({3, 4, 5}, DType::f64, 41).requires_grad_();
  Tensor wt = rnd({6, 5}, DType::f64, 42).transpose(0, 1).detach().requires_grad_();  // [5,6]
  Tensor g = rnd({3, 4, 6}, DType::f64, 43);
  matmul(x, wt).backward(g);
  Dims shape;
  auto [werr, wscale] = errors(wt.grad(), naive_matmul(x.detach().reshape({12, 5}).transpose(0, 1), g.reshape({12, 6}), shape));
  CHECK(shape == Dims{5, 6});
  CHECK(werr < 1e-12);
  auto [xerr, xscale] = errors(x.grad(), naive_matmul(g, wt.detach().transpose(0, 1), shape));
  CHECK(shape == Dims{3, 4, 5});
  CHECK(xerr < 1e-12);

  // An operand shared by a batch it cannot fold over: a[4,5] x b[3,5,6] sums dA over b's batch.
  Tensor a = rnd({4, 5}, DType::f64, 44).requires_grad_();
  Tensor b = rnd({3, 5, 6}, DType::f64, 45);
  Tensor gc = rnd({3, 4, 6}, DType::f64, 46);
  matmul(a, b).backward(gc);
  std::vector<double> per_batch = naive_matmul(gc, b.transpose(-1, -2), shape);  // [3,4,5]
  std::vector<double> expected(20, 0.0);
  for (size_t i = 0; i < per_batch.size(); ++i) expected[i % 20] += per_batch[i];
  auto [aerr, ascale] = errors(a.grad(), expected);
  CHECK(aerr < 1e-12);
}

TEST_CASE("matmul called from inside a parallel region", "[matmul]") {
  // Each thread multiplies its own matrices; BLAS must run single-threaded inside.
  Tensor a = rnd({4, 30, 40}, DType::f64, 51), b = rnd({4, 40, 20}, DType::f64, 52);
  std::vector<Tensor> out(4);
  parallel_for(4, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = matmul(a.slice(0, i, i + 1), b.slice(0, i, i + 1));
  });
  Dims shape;
  std::vector<double> ref = naive_matmul(a, b, shape);
  for (int64_t i = 0; i < 4; ++i) {
    std::vector<double> part(ref.begin() + i * 600, ref.begin() + (i + 1) * 600);
    CHECK(errors(out[i], part).first < 1e-12);
  }
}

TEST_CASE("matmul errors name the op and both operands", "[matmul]") {
  REQUIRE_THROWS_WITH(matmul(zeros({4, 8}), zeros({7, 3})), Contains("matmul: inner dimensions differ: [4,8] x [7,3]"));
  REQUIRE_THROWS_WITH(matmul(zeros({5}), zeros({5, 3})), Contains("1-D operands are not supported"));
  REQUIRE_THROWS_WITH(matmul(zeros({5}), zeros({5, 3})), Contains("float32[5] x float32[5,3]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}, DType::i64), zeros({3, 4})),
                      Contains("matmul: expected float32 or float64 operands, got int64[2,3] x float32[3,4]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}), zeros({3, 4}, DType::f64)),
                      Contains("matmul: operands have different dtypes: float32[2,3] x float64[3,4]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 4, 5}), zeros({3, 5, 6})),
                      Contains("matmul: batch dimensions do not broadcast: [2,4,5] x [3,5,6]"));
}
