// Fused kernels: softmax / log_softmax, layer_norm / rms_norm, cross_entropy.
// Forward values against hand-computed numbers, float32 against float64, extreme
// inputs (large logits, fully masked rows, all targets ignored) and error messages.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

void require_values(const Tensor& t, const std::vector<double>& expected, double eps = 1e-6) {
  std::vector<double> got = t.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(expected[i]).margin(eps));
  }
}

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isfinite(v)) return false;
  return true;
}

// Largest |a - b| / max(1, |b|) over two tensors of the same shape.
double max_rel_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  REQUIRE(va.size() == vb.size());
  double worst = 0;
  for (size_t i = 0; i < va.size(); ++i)
    worst = std::max(worst, std::abs(va[i] - vb[i]) / std::max(1.0, std::abs(vb[i])));
  return worst;
}

}  // namespace

TEST_CASE("softmax and log_softmax of [1,2,3]", "[fused]") {
  Tensor x = Tensor::from({1, 2, 3}, {3}, DType::f64);
  require_values(softmax(x), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219});
  require_values(log_softmax(x), {-2.40760596444438, -1.40760596444438, -0.40760596444438});
  // Shifting every input by a constant changes nothing.
  require_values(softmax(x + 100.0), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219});
}

TEST_CASE("softmax over dim 0 and over a transposed input", "[fused]") {
  // Columns of [[1,1],[2,1],[3,1]]: [1,2,3] and [1,1,1].
  Tensor x = Tensor::from({1, 1, 2, 1, 3, 1}, {3, 2}, DType::f64);
  const double third = 1.0 / 3;
  require_values(softmax(x, 0), {0.09003057317038046, third, 0.24472847105479767, third, 0.6652409557748219, third});
  // The same rows read through a transposed view give the same numbers as a copy.
  Tensor xt = x.transpose(0, 1);
  REQUIRE_FALSE(xt.is_contiguous());
  require_values(log_softmax(xt, -1), log_softmax(xt.contiguous(), -1).to_vector<double>(), 1e-15);
  require_values(softmax(xt, 0), softmax(xt.contiguous(), 0).to_vector<double>(), 1e-15);
}

TEST_CASE("softmax backward by hand", "[fused]") {
  // d/dx sum(softmax(x) * w) = y * (w - sum(w * y))
  Tensor x = Tensor::from({1, 2, 3}, {3}, DType::f64).requires_grad_();
  Tensor w = Tensor::from({1, 0, 0}, {3}, DType::f64);
  sum(softmax(x) * w).backward();
  const double y0 = 0.09003057317038046, y1 = 0.24472847105479767, y2 = 0.6652409557748219;
  require_values(x.grad(), {y0 * (1 - y0), -y1 * y0, -y2 * y0});
  // log_softmax: dx = w - exp(y) * sum(w)
  x.zero_grad();
  sum(log_softmax(x) * w).backward();
  require_values(x.grad(), {1 - y0, -y1, -y2});
}

TEST_CASE("large logits stay finite", "[fused]") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = Tensor::from({1e4, 0, -1e4, 1e4, 1e4, -1e4}, {2, 3}, dt).requires_grad_();
    Tensor y = softmax(x);
    require_values(y, {1, 0, 0, 0.5, 0.5, 0});
    Tensor ly = log_softmax(x);
    require_values(ly, {0, -1e4, -2e4, -std::log(2.0), -std::log(2.0), -2e4 - std::log(2.0)}, 1e-2);
    Tensor t = Tensor::from({1, 0}, {2}, DType::i64);
    Tensor loss = cross_entropy(x, t);
    CHECK(loss.item() == Approx((1e4 + std::log(2.0)) / 2));
    loss.backward();
    CHECK(all_finite(x.grad()));
    require_values(x.grad(), {0.5, -0.5, 0, -0.25, 0.25, 0});  // (softmax - onehot) / 2
  }
}

TEST_CASE("a fully -inf row gives softmax zeros and no NaN gradient", "[fused]") {
  Tensor x = Tensor::from({-kInf, -kInf, -kInf, 0, -kInf, 0}, {2, 3}, DType::f64).requires_grad_();
  Tensor y = softmax(x);
  require_values(y, {0, 0, 0, 0.5, 0, 0.5});
  sum(y * Tensor::from({1, 2, 3, 1, 2, 3}, {2, 3}, DType::f64)).backward();
  require_values(x.grad(), {0, 0, 0, -0.5, 0, 0.5});

  x.zero_grad();
  Tensor ly = log_softmax(x);
  std::vector<double> lv = ly.to_vector<double>();
  CHECK(lv[0] == -kInf);  // log of probability 0
  CHECK(lv[3] == Approx(-std::log(2.0)));
  sum(slice(ly, 0, 1, 2).slice(1, 0, 1)).backward();  // only a finite entry
  CHECK(all_finite(x.grad()));
  require_values(x.grad(), {0, 0, 0, 0.5, 0, -0.5});
}

TEST_CASE("layer_norm of a known row", "[fused]") {
  Tensor x = Tensor::from({1, 2, 3, 4}, {1, 4}, DType::f64);
  const double r = 1 / std::sqrt(1.25 + 1e-5);  // biased variance 1.25, eps inside the sqrt
  require_values(layer_norm(x, Tensor(), Tensor()), {-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r});
  Tensor w = Tensor::from({1, -1, 2, 0.5}, {4}, DType::f64);
  Tensor b = Tensor::from({0, 1, 0, -1}, {4}, DType::f64);
  require_values(layer_norm(x, w, b), {-1.3416354199689269, 1.447211806656309, 0.894423613312618, -0.32918229001553656});
  require_values(layer_norm(x, w, Tensor(), 0.0), {-1.3416407864998738, 0.4472135954999579, 0.8944271909999159, 0.6708203932499369});
}

TEST_CASE("layer_norm weight and bias gradients", "[fused]") {
  // loss = sum(layer_norm(x) * w + b): dbias = number of rows, dweight = sum over rows of xhat,
  // dx = 0 when w is constant across the row (a normalised row always sums to 0).
  Tensor x = Tensor::from({1, 2, 3, 4, 4, 2, 2, 0}, {2, 4}, DType::f64).requires_grad_();
  Tensor w = Tensor::from({1, 1, 1, 1}, {4}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({0, 0, 0, 0}, {4}, DType::f64).requires_grad_();
  sum(layer_norm(x, w, b, 0.0)).backward();
  require_values(b.grad(), {2, 2, 2, 2});
  const double r0 = 1 / std::sqrt(1.25), r1 = 1 / std::sqrt(2.0);  // row 2: mean 2, var 2
  require_values(w.grad(), {-1.5 * r0 + 2 * r1, -0.5 * r0, 0.5 * r0, 1.5 * r0 - 2 * r1});
  require_values(x.grad(), {0, 0, 0, 0, 0, 0, 0, 0}, 1e-12);
}

TEST_CASE("rms_norm of a known row", "[fused]") {
  Tensor x = Tensor::from({1, 2, 3, 4}, {4}, DType::f64);
  require_values(rms_norm(x, Tensor()), {0.3651483473268884, 0.7302966946537768, 1.0954450419806652, 1.4605933893075536});
  Tensor w = Tensor::from({1, 0.5, 1, 2}, {4}, DType::f64);
  require_values(rms_norm(x, w), {0.3651483473268884, 0.3651483473268884, 1.0954450419806652, 2.921186778615107});
}

TEST_CASE("weight gradients do not depend on the thread count", "[fused]") {
  Generator gen(7);
  Tensor x = randn({2000, 65}, gen).requires_grad_();
  Tensor w = randn({65}, gen).requires_grad_();
  Tensor b = randn({65}, gen).requires_grad_();
  Tensor probe = randn({2000, 65}, gen);
  auto grads = [&] {
    x.zero_grad(); w.zero_grad(); b.zero_grad();
    sum(layer_norm(x, w, b) * probe).backward();
    return std::vector<std::vector<float>>{x.grad().to_vector<float>(), w.grad().to_vector<float>(),
                                           b.grad().to_vector<float>()};
  };
  const int threads = num_threads();
  set_num_threads(1);
  auto one = grads();
  set_num_threads(2);
  auto two = grads();
  set_num_threads(threads);
  CHECK(one == two);  // bit for bit
}

TEST_CASE("cross_entropy of a known case", "[fused]") {
  Tensor logits = Tensor::from({1, 2, 3, 1, 1, 1}, {2, 3}, DType::f64);
  const double l0 = 0.4076059644443803, l1 = std::log(3.0);
  CHECK(cross_entropy(logits, Tensor::from({2, 0}, {2}, DType::i64)).item() == Approx((l0 + l1) / 2));
  // int32 targets work the same.
  CHECK(cross_entropy(logits, Tensor::from({2, 0}, {2}, DType::i32)).item() == Approx((l0 + l1) / 2));
  // An ignored row counts for nothing: the mean is over the one remaining row.
  CHECK(cross_entropy(logits, Tensor::from({2, -100}, {2}, DType::i64)).item() == Approx(l0));
  CHECK(cross_entropy(logits, Tensor::from({2, 7}, {2}, DType::i64), {.ignore_index = 7}).item() == Approx(l0));
  // Label smoothing 0.1: 0.9 * nll + 0.1 * mean_c(-logp[c]); the uniform row is unchanged.
  const double smoothed0 = 0.9 * l0 + 0.1 * (2.40760596444438 + 1.40760596444438 + 0.40760596444438) / 3;
  CHECK(cross_entropy(logits, Tensor::from({2, 0}, {2}, DType::i64), {.label_smoothing = 0.1}).item() ==
        Approx((smoothed0 + l1) / 2));
}

TEST_CASE("cross_entropy gradient and [B,T,C] logits", "[fused]") {
  Tensor logits = Tensor::from({1, 2, 3, 1, 1, 1}, {1, 2, 3}, DType::f64).requires_grad_();
  Tensor t = Tensor::from({2, -100}, {1, 2}, DType::i64);
  Tensor loss = cross_entropy(logits, t);
  CHECK(loss.shape() == Dims{});
  loss.backward();
  // (softmax - onehot) / count for the counted row; zero for the ignored one.
  require_values(logits.grad(), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219 - 1, 0, 0, 0});
  // With smoothing s the target distribution is (1 - s) onehot + s / C.
  logits.zero_grad();
  cross_entropy(logits, t, {.label_smoothing = 0.3}).backward();
  require_values(logits.grad(), {0.09003057317038046 - 0.1, 0.24472847105479767 - 0.1, 0.6652409557748219 - 0.8, 0, 0, 0});
}

TEST_CASE("cross_entropy with every target ignored is 0 with a zero gradient", "[fused]") {
  Tensor logits = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f32).requires_grad_();
  Tensor loss = cross_entropy(logits, Tensor::from({-100, -100}, {2}, DType::i64), {.label_smoothing = 0.1});
  CHECK(loss.item() == 0.0);  // PyTorch gives NaN (0/0); we give 0
  loss.backward();
  require_values(logits.grad(), {0, 0, 0, 0, 0, 0}, 0.0);
}

TEST_CASE("float32 agrees with float64 on a random [64,257] input", "[fused]") {
  Generator gen(42);
  Tensor x32 = randn({64, 257}, gen, DType::f32, 0.0, 3.0);
  Tensor x64 = x32.to(DType::f64);  // the same values
  Tensor w32 = randn({257}, gen), b32 = randn({257}, gen);
  Tensor w64 = w32.to(DType::f64), b64 = b32.to(DType::f64);
  Tensor probe32 = randn({64, 257}, gen);
  Tensor probe64 = probe32.to(DType::f64);
  std::vector<int64_t> tv;
  for (int i = 0; i < 64; ++i) tv.push_back((i * 37) % 257);
  Tensor t = Tensor::from(tv, {64});

  using Op = std::function<Tensor(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& probe)>;
  const std::vector<std::pair<const char*, Op>> ops = {
      {"softmax", [](auto& x, auto&, auto&, auto& p) { return sum(softmax(x) * p); }},
      {"softmax dim 0", [](auto& x, auto&, auto&, auto& p) { return sum(softmax(x, 0) * p); }},
      {"log_softmax", [](auto& x, auto&, auto&, auto& p) { return sum(log_softmax(x) * p); }},
      {"layer_norm", [](auto& x, auto& w, auto& b, auto& p) { return sum(layer_norm(x, w, b) * p); }},
      {"rms_norm", [](auto& x, auto& w, auto&, auto& p) { return sum(rms_norm(x, w) * p); }},
      {"cross_entropy", [&t](auto& x, auto&, auto&, auto&) { return cross_entropy(x, t, {.label_smoothing = 0.1}); }},
  };
  for (const auto& [name, op] : ops) {
    INFO(name);
    Tensor a32 = x32.detach().requires_grad_(), a64 = x64.detach().requires_grad_();
    Tensor l32 = op(a32, w32, b32, probe32);
    l32.backward();  // one backward at a time: each clears the tape
    Tensor l64 = op(a64, w64, b64, probe64);
    l64.backward();
    CHECK(max_rel_diff(l32, l64) < 1e-5);
    CHECK(max_rel_diff(a32.grad(), a64.grad()) < 1e-5);
  }
  // The forward outputs themselves, elementwise.
  CHECK(max_rel_diff(softmax(x32), softmax(x64)) < 1e-5);
  CHECK(max_rel_diff(log_softmax(x32), log_softmax(x64)) < 1e-5);
  CHECK(max_rel_diff(layer_norm(x32, w32, b32), layer_norm(x64, w64, b64)) < 1e-5);
  CHECK(max_rel_diff(rms_norm(x32, w32), rms_norm(x64, w64)) < 1e-5);
}

TEST_CASE("fused ops name the op and shapes in their errors", "[fused]") {
  Tensor x = zeros({4, 8});
  REQUIRE_THROWS_WITH(layer_norm(x, zeros({7}), Tensor()), Contains("layer_norm: weight [7] does not match last dim of [4,8]"));
  REQUIRE_THROWS_WITH(layer_norm(x, zeros({8}), zeros({2, 4})), Contains("layer_norm: bias [2,4] does not match last dim of [4,8]"));
  REQUIRE_THROWS_WITH(rms_norm(x, zeros({3})), Contains("rms_norm: weight [3] does not match last dim of [4,8]"));
  REQUIRE_THROWS_WITH(layer_norm(x, zeros({8}, DType::f64), Tensor()), Contains("layer_norm: dtypes differ"));
  REQUIRE_THROWS_WITH(softmax(x, 2), Contains("softmax: dim 2 is out of range for a tensor of rank 2"));
  REQUIRE_THROWS_WITH(log_softmax(zeros({3}, DType::i64)), Contains("log_softmax: expected a float32 or float64 tensor"));

  Tensor logits = zeros({4, 5});
  REQUIRE_THROWS_WITH(cross_entropy(logits, Tensor::from({0, 1, 5, 2}, {4}, DType::i64)),
                      Contains("cross_entropy: target 5 is out of range for 5 classes"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, Tensor::from({0, -1, 0, 2}, {4}, DType::i64)),
                      Contains("cross_entropy: target -1 is out of range for 5 classes"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, zeros({3}, DType::i64)),
                      Contains("cross_entropy: targets int64[3] do not match logits float32[4,5]"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, zeros({4})), Contains("cross_entropy: targets must be int32 or int64, got float32[4]"));
  REQUIRE_THROWS_WITH(cross_entropy(logits, zeros({4}, DType::i64), {.label_smoothing = 1.5}),
                      Contains("cross_entropy: label_smoothing must be in [0, 1], got 1.5"));
}
