// Elementwise math and activations: values and derivatives against hand-computed numbers
// (float32 and float64), the saturated ends of sigmoid, the kinks of relu/abs, strided inputs,
// and dtype errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

namespace {

struct UnaryOp {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  std::vector<double> x, y, dydx;  // inputs, expected outputs, expected derivatives
};

const std::vector<double> kMixed = {-2, -0.5, 0, 1, 3};
const std::vector<double> kPositive = {0.25, 1, 2, 4};

// Values from the textbook formulas, evaluated with Python's math module
// (e.g. gelu(1) = Phi(1) = 0.8413447, silu(1) = sigmoid(1) = 0.7310586).
const std::vector<UnaryOp>& unary_ops() {
  static const std::vector<UnaryOp> ops = {
      {"neg", [](const Tensor& x) { return neg(x); }, kMixed, {2, 0.5, 0, -1, -3}, {-1, -1, -1, -1, -1}},
      {"exp", [](const Tensor& x) { return exp(x); }, kMixed,
       {0.135335283, 0.60653066, 1, 2.71828183, 20.0855369},
       {0.135335283, 0.60653066, 1, 2.71828183, 20.0855369}},
      {"log", [](const Tensor& x) { return log(x); }, kPositive, {-1.38629436, 0, 0.693147181, 1.38629436},
       {4, 1, 0.5, 0.25}},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, kPositive, {0.5, 1, 1.41421356, 2},
       {1, 0.5, 0.353553391, 0.25}},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, kPositive, {2, 1, 0.707106781, 0.5},
       {-4, -0.5, -0.176776695, -0.0625}},
      {"abs", [](const Tensor& x) { return abs(x); }, kMixed, {2, 0.5, 0, 1, 3}, {-1, -1, 0, 1, 1}},
      {"tanh", [](const Tensor& x) { return tanh(x); }, kMixed,
       {-0.96402758, -0.462117157, 0, 0.761594156, 0.995054754},
       {0.0706508249, 0.786447733, 1, 0.419974342, 0.00986603717}},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, kMixed,
       {0.119202922, 0.377540669, 0.5, 0.731058579, 0.952574127},
       {0.104993585, 0.235003712, 0.25, 0.196611933, 0.0451766597}},
      {"pow 2.5", [](const Tensor& x) { return pow(x, 2.5); }, kPositive, {0.03125, 1, 5.65685425, 32},
       {0.3125, 2.5, 7.07106781, 20}},
      {"pow -1", [](const Tensor& x) { return pow(x, -1.0); }, kPositive, {4, 1, 0.5, 0.25},
       {-16, -1, -0.25, -0.0625}},
      {"pow 2, negative base", [](const Tensor& x) { return pow(x, 2.0); }, kMixed, {4, 0.25, 0, 1, 9},
       {-4, -1, 0, 2, 6}},
      {"relu", [](const Tensor& x) { return relu(x); }, kMixed, {0, 0, 0, 1, 3}, {0, 0, 0, 1, 1}},
      {"gelu", [](const Tensor& x) { return gelu(x); }, kMixed,
       {-0.0455002639, -0.154268769, 0, 0.841344746, 2.99595031},
       {-0.0852318011, 0.132504875, 0.5, 1.08331547, 1.01194565}},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApprox::tanh); }, kMixed,
       {-0.0454023059, -0.15428599, 0, 0.841191991, 2.99636261},
       {-0.0860992566, 0.132630096, 0.5, 1.08296408, 1.01158417}},
      {"silu", [](const Tensor& x) { return silu(x); }, kMixed,
       {-0.238405844, -0.188770334, 0, 0.731058579, 2.85772238},
       {-0.0907842488, 0.260038813, 0.5, 0.927670512, 1.08810411}},
  };
  return ops;
}

// float32 agrees with the reference to ~1e-6 relative; float64 to the digits written above.
Approx near(double v, DType dtype) {
  return Approx(v).epsilon(dtype == DType::f32 ? 2e-6 : 1e-8).margin(dtype == DType::f32 ? 1e-6 : 1e-9);
}

Tensor from_values(const std::vector<double>& v, DType dtype) {
  return Tensor::from(v, {static_cast<int64_t>(v.size())}).to(dtype);
}

}  // namespace

TEST_CASE("unary ops and activations: values and derivatives", "[unary]") {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (const UnaryOp& op : unary_ops()) {
      INFO(op.name << " in " << dtype_name(dtype));
      Tensor x = from_values(op.x, dtype).requires_grad_();
      Tensor y = op.fn(x);
      REQUIRE(y.dtype() == dtype);
      REQUIRE(y.shape() == x.shape());
      sum(y).backward();  // d sum(y) / dx_i = dy_i / dx_i
      std::vector<double> values = y.to_vector<double>(), grads = x.grad().to_vector<double>();
      for (size_t i = 0; i < op.x.size(); ++i) {
        INFO("x = " << op.x[i]);
        CHECK(values[i] == near(op.y[i], dtype));
        CHECK(grads[i] == near(op.dydx[i], dtype));
      }
    }
  }
}

TEST_CASE("sigmoid, silu and gelu saturate without NaN", "[unary]") {
  using Catch::Matchers::Approx;
  const std::vector<double> zero_zero_x = {0, 0, 100, 1000}, zero_zero_one = {0, 0, 1, 1};
  for (DType dtype : {DType::f32, DType::f64}) {
    INFO(dtype_name(dtype));
    Tensor x = Tensor::from({-1000, -100, 100, 1000}, {4}, dtype).requires_grad_();
    Tensor s = sigmoid(x);
    CHECK_THAT(s.to_vector<double>(), Approx(std::vector<double>{0, 0, 1, 1}).margin(1e-30));
    sum(s).backward();
    CHECK_THAT(x.grad().to_vector<double>(), Approx(std::vector<double>{0, 0, 0, 0}).margin(1e-30));

    auto check_tails = [&](const char* name, Tensor y) {
      INFO(name);
      CHECK_THAT(y.to_vector<double>(), Approx(zero_zero_x).margin(1e-30));
      x.zero_grad();
      sum(y).backward();
      CHECK_THAT(x.grad().to_vector<double>(), Approx(zero_zero_one).margin(1e-30));
    };
    check_tails("silu", silu(x));
    check_tails("gelu", gelu(x));
    check_tails("gelu_tanh", gelu(x, GeluApprox::tanh));
  }
}

TEST_CASE("pow with exponent 0 has zero gradient, also at x = 0", "[unary]") {
  Tensor x = Tensor::from({0, 2}, {2}, DType::f64).requires_grad_();
  Tensor y = pow(x, 0.0);
  CHECK(y.to_vector<double>() == std::vector<double>{1, 1});
  sum(y).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0});  // not NaN from 0 * 0^-1
}

TEST_CASE("unary ops read non-contiguous inputs through their strides", "[unary]") {
  Generator gen(7);
  for (DType dtype : {DType::f32, DType::f64}) {
    // A transposed, then row-strided view ([5,6], strides [2,10]): neither contiguous nor
    // a plain transpose.
    auto strided_view = [&](double low, double high) {
      return uniform({6, 10}, gen, low, high, dtype).transpose(0, 1).slice(0, 1, 10, 2);
    };
    Tensor mixed = strided_view(-3, 3), positive = strided_view(0.1, 3);
    REQUIRE_FALSE(mixed.is_contiguous());
    REQUIRE(mixed.strides() == Dims{2, 10});
    for (const UnaryOp& op : unary_ops()) {
      INFO(op.name << " in " << dtype_name(dtype));
      Tensor x = op.x == kPositive ? positive : mixed;  // log, sqrt, rsqrt, pow need x > 0
      Tensor y = op.fn(x), y_dense = op.fn(x.contiguous());
      CHECK(y.shape() == Dims{5, 6});
      CHECK(y.to_vector<double>() == y_dense.to_vector<double>());
    }
  }
}

TEST_CASE("unary ops reject integer tensors, naming the op", "[unary]") {
  Tensor ids = Tensor::from(std::vector<int64_t>{1, 2, 3}, {3});
  REQUIRE_THROWS_WITH(exp(ids), Contains("exp: expected a float32 or float64 tensor, got int64[3]"));
  REQUIRE_THROWS_WITH(sigmoid(ids), Contains("sigmoid: expected a float32 or float64 tensor"));
  REQUIRE_THROWS_WITH(pow(ids, 2.0), Contains("pow_scalar: expected a float32 or float64 tensor"));
  REQUIRE_THROWS_WITH(relu(ids), Contains("relu: expected a float32 or float64 tensor, got int64[3]"));
  REQUIRE_THROWS_WITH(gelu(ids, GeluApprox::tanh), Contains("gelu_tanh: expected"));
  REQUIRE_THROWS_WITH(silu(ids), Contains("silu: expected"));
}

TEST_CASE("unary ops do not record without grad", "[unary]") {
  Tensor x = Tensor::from({0.5, 1.5}, {2}, DType::f64).requires_grad_();
  {
    NoGradGuard guard;
    CHECK_FALSE(gelu(x).requires_grad());
  }
  Tensor y = tanh(Tensor::from({0.5, 1.5}, {2}, DType::f64));
  CHECK_FALSE(y.requires_grad());
  CHECK(gelu(x).requires_grad());
}
