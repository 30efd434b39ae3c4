// cpu/fast_math.h against the double std:: functions: exp within 1.5 ulp over its
// whole float range (overflow and underflow edges included), normal_cdf / normal_pdf
// within 1e-6 relative down to the smallest normal float, +-inf and NaN; the lane
// reductions (tails, NaN, -inf). Then the float32 kernels built on them (gelu, silu,
// softmax, log_softmax, cross_entropy, layer_norm, rms_norm) against float64 on wide
// inputs, and bit for bit the same results at 1 and 2 threads.
#include <catch2/catch.hpp>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>

#include "autograd/autograd.h"
#include "cpu/fast_math.h"

using namespace qkv;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Every `stride`-th float (by bit pattern) in [lo, hi], both signs; includes denormals.
std::vector<float> float_sweep(float lo, float hi, uint32_t stride) {
  std::vector<float> out;
  for (uint32_t b = 0; b < 0x7f800000u; b += stride) {
    float v = std::bit_cast<float>(b);
    if (v >= lo && v <= hi) out.push_back(v);
    if (-v >= lo && -v <= hi) out.push_back(-v);
  }
  return out;
}

// |got - ref| in units of the float ulp at ref.
double ulps(float got, double ref) {
  return std::abs(got - ref) / std::ldexp(1.0, std::ilogb(static_cast<float>(ref)) - 23);
}

// Relative error allowed for the normal distribution: 1e-6, plus x^2/2 ulp where no FMA
// instruction gives exp(-x^2/2) the rounding error of x^2.
double normal_tolerance(double x) {
#ifdef __FMA__
  (void)x;
  return 1e-6;
#else
  return 1e-6 + 0.5 * x * x * 0x1p-24;
#endif
}

}  // namespace

TEST_CASE("fast::exp is within 1.5 ulp of std::exp from underflow to overflow", "[fast_math]") {
  double worst = 0;
  float worst_x = 0;
  for (float x : float_sweep(-104.0f, 104.0f, 1021)) {
    const float y = fast::exp(x);
    const double ref = std::exp(static_cast<double>(x));
    if (ref > FLT_MAX) {
      INFO("x = " << x);
      REQUIRE(y == kInf);
    } else if (ref < FLT_MIN) {  // below the normal range: flushed to 0
      INFO("x = " << x);
      REQUIRE(y == 0.0f);
    } else if (ulps(y, ref) > worst) {
      worst = ulps(y, ref);
      worst_x = x;
    }
  }
  INFO("worst at x = " << worst_x);
  CHECK(worst <= 1.5);

  // The edges: the largest float with a finite exp, the smallest with a normal one.
  const float top = 88.72283172607421875f, bottom = -87.33654022216797f;
  CHECK(ulps(fast::exp(top), std::exp(double(top))) <= 1.5);
  CHECK(fast::exp(std::nextafter(top, kInf)) == kInf);
  CHECK(fast::exp(bottom) >= FLT_MIN);
  CHECK(fast::exp(std::nextafter(bottom, -kInf)) == 0.0f);
  CHECK(fast::exp(0.0f) == 1.0f);
  CHECK(fast::exp(-0.0f) == 1.0f);
  CHECK(fast::exp(kInf) == kInf);
  CHECK(fast::exp(-kInf) == 0.0f);
  CHECK(fast::exp(1e30f) == kInf);
  CHECK(fast::exp(-1e30f) == 0.0f);
  for (uint32_t nan_bits : {0x7fc00000u, 0xffc00000u, 0x7fc00001u, 0x7fc12345u, 0x7f800001u}) {
    INFO("NaN 0x" << std::hex << nan_bits);  // payloads too: they must not leak into the exponent
    CHECK(std::isnan(fast::exp(std::bit_cast<float>(nan_bits))));
    CHECK(std::isnan(fast::normal_cdf(std::bit_cast<float>(nan_bits))));
  }
}

TEST_CASE("fast::exp(hi, lo) adds a correction below hi's ulp", "[fast_math]") {
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> hi_dist(-85.0f, 85.0f), frac(-0.5f, 0.5f);
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    const float hi = hi_dist(gen);
    const float lo = frac(gen) * (std::nextafter(std::abs(hi), kInf) - std::abs(hi));
    worst = std::max(worst, ulps(fast::exp(hi, lo), std::exp(double(hi) + double(lo))));
  }
  CHECK(worst <= 1.5);
}

TEST_CASE("fast::normal_cdf and normal_pdf are within 1e-6 relative of erfc and exp", "[fast_math]") {
  const double sqrt_half = std::sqrt(0.5), inv_sqrt_2pi = 1 / std::sqrt(2 * M_PI);
  double worst_cdf = 0, worst_pdf = 0;
  for (int k = -140000; k <= 140000; ++k) {  // x in [-14, 14] by 1e-4
    const float x = static_cast<float>(k * 1e-4);
    const double xd = x;
    INFO("x = " << x);
    const double cdf = 0.5 * std::erfc(-xd * sqrt_half), pdf = inv_sqrt_2pi * std::exp(-0.5 * xd * xd);
    const float got_cdf = fast::normal_cdf(x), got_pdf = fast::normal_pdf(x);
    if (cdf >= FLT_MIN) {
      worst_cdf = std::max(worst_cdf, std::abs(got_cdf - cdf) / cdf / normal_tolerance(xd));
    } else {
      REQUIRE(std::abs(got_cdf) <= FLT_MIN);
    }
    if (pdf >= FLT_MIN) {
      worst_pdf = std::max(worst_pdf, std::abs(got_pdf - pdf) / pdf / normal_tolerance(xd));
    } else {
      REQUIRE(std::abs(got_pdf) <= FLT_MIN);
    }
    if (x >= 0) REQUIRE(std::abs(fast::normal_cdf(x) + fast::normal_cdf(-x) - 1.0) <= 1.2e-7);
  }
  CHECK(worst_cdf <= 1.0);  // in units of the tolerance
  CHECK(worst_pdf <= 1.0);

  CHECK(fast::normal_cdf(0.0f) == Approx(0.5).epsilon(1e-7));
  CHECK(fast::normal_cdf(kInf) == 1.0f);
  CHECK(fast::normal_cdf(-kInf) == 0.0f);
  CHECK(fast::normal_cdf(1e30f) == 1.0f);
  CHECK(fast::normal_cdf(-1e30f) == 0.0f);
  CHECK(fast::normal_pdf(kInf) == 0.0f);
  CHECK(fast::normal_pdf(-kInf) == 0.0f);
  CHECK(std::isnan(fast::normal_cdf(kNaN)));
  CHECK(std::isnan(fast::normal_pdf(kNaN)));
}

TEST_CASE("lane_sum and lane_max handle every length, NaN and -inf", "[fast_math]") {
  for (int64_t n : {0, 1, 5, 15, 16, 17, 31, 33, 1000}) {
    INFO("n = " << n);
    std::vector<float> v(n);
    for (int64_t j = 0; j < n; ++j) v[j] = static_cast<float>(j + 1);
    // Integers below 2^24: exact in any order.
    CHECK(fast::lane_sum<float>(n, [&](int64_t j) { return v[j]; }) == n * (n + 1) / 2);
    CHECK(fast::lane_max(v.data(), n) == (n ? n : -kInf));
    for (int64_t at = 0; at < n; ++at) {  // the max and a NaN at every position
      std::vector<float> w(n, -5.0f);
      w[at] = 3.0f;
      REQUIRE(fast::lane_max(w.data(), n) == 3.0f);
      w[at] = kNaN;
      REQUIRE(std::isnan(fast::lane_max(w.data(), n)));
    }
    std::vector<float> masked(n, -kInf);
    CHECK(fast::lane_max(masked.data(), n) == -kInf);
  }
  std::vector<double> d = {1, -kInf, 7, 2};
  CHECK(fast::lane_max(d.data(), 4) == 7.0);

  // 4096 terms: each lane sums 256, so float rounding stays near 1e-6 of the total.
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> r(4096);
  double exact = 0;
  for (float& x : r) exact += x = u(gen);
  CHECK(fast::lane_sum<float>(4096, [&](int64_t j) { return r[j]; }) == Approx(exact).epsilon(1e-5));
}

namespace {

// The float32 and float64 results of one computation agree: the same NaNs and
// infinities, elsewhere within rel * |b| + abs. Reports the first element that is not.
void require_close(const Tensor& a32, const Tensor& b64, double rel, double abs) {
  std::vector<double> a = a32.to_vector<double>(), b = b64.to_vector<double>();
  REQUIRE(a.size() == b.size());
  auto close = [&](double x, double y) {
    if (std::isnan(y) || std::isinf(y)) return std::isnan(x) ? std::isnan(y) : x == y;
    return std::abs(x - y) <= rel * std::abs(y) + abs;
  };
  size_t i = 0;
  while (i < a.size() && close(a[i], b[i])) ++i;
  INFO("element " << i << ": float32 " << (i < a.size() ? a[i] : 0) << ", float64 " << (i < b.size() ? b[i] : 0));
  REQUIRE(i == a.size());
}

// Runs f on x (requires grad) with output gradient g; returns {output, x.grad()}.
std::pair<Tensor, Tensor> value_and_grad(const std::function<Tensor(const Tensor&)>& f, const Tensor& x_data,
                                         const Tensor& g) {
  Tensor x = x_data.detach().requires_grad_();
  Tensor y = f(x);
  y.backward(g.to(y.dtype()));
  return {y.detach(), x.grad()};
}

}  // namespace

TEST_CASE("float32 activations agree with float64 from -30 to 30 and at inf and NaN", "[fast_math]") {
  std::vector<double> xs;
  for (int k = -300000; k <= 300000; ++k) xs.push_back(static_cast<float>(k * 1e-4));
  for (double v : {1e4, -1e4, 100.0, -100.0, double(kInf), -double(kInf), double(kNaN)}) xs.push_back(v);
  const Dims shape{static_cast<int64_t>(xs.size())};
  const Tensor x32 = Tensor::from(xs, shape).to(DType::f32), x64 = x32.to(DType::f64);
  const Tensor g = ones(shape, DType::f64);  // contiguous: the streaming backward

  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApprox::tanh); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    auto [y32, dx32] = value_and_grad(f, x32, g);
    auto [y64, dx64] = value_and_grad(f, x64, g);
    require_close(y32, y64, 2e-6, 1e-7);
    require_close(dx32, dx64, 2e-6, 1e-7);
  }
  // gelu_backward is the same derivative without the tape.
  for (GeluApprox approx : {GeluApprox::none, GeluApprox::tanh}) {
    auto [y, dx] = value_and_grad([&](const Tensor& x) { return gelu(x, approx); }, x32, g);
    require_close(gelu_backward(x32, g.to(DType::f32), approx), dx, 0, 0);
  }
  // float64 is the std:: formula itself.
  const double x = -1.75;
  CHECK(gelu(Tensor::scalar(x, DType::f64)).item() == 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))));
}

TEST_CASE("float32 row kernels agree with float64 on long rows with masked entries", "[fast_math]") {
  Generator gen(17);
  const int64_t rows = 6, n = 4099;  // not a multiple of the lane count
  Tensor x = randn({rows, n}, gen, DType::f64, 0.0, 4.0);
  std::vector<double> v = x.to_vector<double>();
  for (int64_t j = 0; j < n; j += 3) v[1 * n + j] = -std::numeric_limits<double>::infinity();  // partly masked
  for (int64_t j = 0; j < n; ++j) v[2 * n + j] = -std::numeric_limits<double>::infinity();     // fully masked
  for (int64_t j = 0; j < n; ++j) v[3 * n + j] += 1e4;                                          // large logits
  const Tensor x64 = Tensor::from(v, {rows, n}).to(DType::f32).to(DType::f64), x32 = x64.to(DType::f32);
  const Tensor g = randn({rows, n}, gen, DType::f64);
  const Tensor w = randn({n}, gen, DType::f64), b = randn({n}, gen, DType::f64);
  // Row 2 (fully masked) is ignored; with smoothing row 1 too, whose -inf logits make
  // the smoothing term infinite (as in PyTorch).
  const Tensor targets = Tensor::from({5, 1, -100, 4098, 0, 3}, {rows}, DType::i64);
  const Tensor targets_smoothed = Tensor::from({5, -100, -100, 4098, 0, 3}, {rows}, DType::i64);

  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"softmax", [](const Tensor& x) { return softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x); }},
      {"cross_entropy", [&](const Tensor& x) { return cross_entropy(x, targets); }},
      {"cross_entropy smoothed",
       [&](const Tensor& x) { return cross_entropy(x, targets_smoothed, {.label_smoothing = 0.1}); }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    const Tensor gy = std::string(name).starts_with("cross_entropy") ? Tensor::scalar(1.0, DType::f64) : g;
    auto [y32, dx32] = value_and_grad(f, x32, gy);
    auto [y64, dx64] = value_and_grad(f, x64, gy);
    require_close(y32, y64, 1e-5, 1e-6);
    require_close(dx32, dx64, 1e-5, 1e-6);
  }
  // The norms on the plain rows (no -inf; no 1e4 offset, whose float32 mean alone is
  // off by ~1e-3).
  const Tensor finite32 = x32.slice(0, 4, rows), finite64 = x64.slice(0, 4, rows), gn = g.slice(0, 4, rows);
  for (bool center : {true, false}) {
    INFO((center ? "layer_norm" : "rms_norm"));
    Tensor dw32, dw64;
    auto run = [&](const Tensor& xd, DType dt, Tensor& dw) {
      Tensor wl = w.to(dt).detach().requires_grad_(), bl = b.to(dt).detach().requires_grad_();
      auto out = value_and_grad([&](const Tensor& xx) { return center ? layer_norm(xx, wl, bl) : rms_norm(xx, wl); },
                                xd, gn);
      dw = wl.grad();
      return out;
    };
    auto [y32, dx32] = run(finite32, DType::f32, dw32);
    auto [y64, dx64] = run(finite64, DType::f64, dw64);
    require_close(y32, y64, 1e-5, 1e-6);
    require_close(dx32, dx64, 1e-5, 1e-6);
    require_close(dw32, dw64, 1e-5, 1e-6);
  }
}

TEST_CASE("float32 kernels give the same bits at 1 and 2 threads", "[fast_math]") {
  Generator gen(23);
  const int64_t rows = 300, n = 1000;  // several parallel chunks at 2 threads
  const Tensor x = randn({rows, n}, gen, DType::f32, 0.0, 3.0), g = randn({rows, n}, gen);
  const Tensor w = randn({n}, gen), b = randn({n}, gen);
  std::vector<int64_t> tv;
  for (int64_t i = 0; i < rows; ++i) tv.push_back((i * 37) % n);
  const Tensor targets = Tensor::from(tv, {rows});

  // Every output and gradient of the ops above, as one list of tensors.
  auto run_all = [&] {
    std::vector<Tensor> out;
    auto add = [&](const std::function<Tensor(const Tensor&)>& f, const Tensor& gy) {
      auto [y, dx] = value_and_grad(f, x, gy);
      out.push_back(y);
      out.push_back(dx);
    };
    add([](const Tensor& t) { return gelu(t); }, g);
    add([](const Tensor& t) { return gelu(t, GeluApprox::tanh); }, g);
    add([](const Tensor& t) { return softmax(t); }, g);
    add([](const Tensor& t) { return log_softmax(t); }, g);
    add([&](const Tensor& t) { return cross_entropy(t, targets); }, Tensor::scalar(1.0));
    Tensor wl = w.detach().requires_grad_(), bl = b.detach().requires_grad_();
    add([&](const Tensor& t) { return layer_norm(t, wl, bl); }, g);
    out.push_back(wl.grad());
    out.push_back(bl.grad());
    return out;
  };
  const int before = num_threads();
  set_num_threads(1);
  const std::vector<Tensor> one = run_all();
  set_num_threads(2);
  const std::vector<Tensor> two = run_all();
  set_num_threads(before);
  REQUIRE(one.size() == two.size());
  for (size_t k = 0; k < one.size(); ++k) {
    INFO("result " << k);
    REQUIRE(one[k].numel() == two[k].numel());
    CHECK(std::memcmp(one[k].raw_data(), two[k].raw_data(), one[k].numel() * sizeof(float)) == 0);
  }
}
