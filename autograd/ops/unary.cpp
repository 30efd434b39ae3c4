#include "autograd/ops/unary.h"

#include <cmath>

#include "autograd/ops/pointwise.h"

namespace qkv {

Tensor neg(const Tensor& x) {
  return pointwise("neg", x, [](auto v) { return -v; },
                   [](auto v, auto) { return decltype(v)(-1); });
}

// d exp(x) = exp(x) = y
Tensor exp(const Tensor& x) {
  return pointwise("exp", x, [](auto v) { return std::exp(v); },
                   [](auto, auto y) { return y; });
}

// d log(x) = 1 / x
Tensor log(const Tensor& x) {
  return pointwise("log", x, [](auto v) { return std::log(v); },
                   [](auto v, auto) { return 1 / v; });
}

// d sqrt(x) = 1 / (2 sqrt(x)) = 0.5 / y
Tensor sqrt(const Tensor& x) {
  return pointwise("sqrt", x, [](auto v) { return std::sqrt(v); },
                   [](auto, auto y) { return decltype(y)(0.5) / y; });
}

// d x^(-1/2) = -1/2 x^(-3/2) = -0.5 y^3
Tensor rsqrt(const Tensor& x) {
  return pointwise("rsqrt", x, [](auto v) { return 1 / std::sqrt(v); },
                   [](auto, auto y) { return decltype(y)(-0.5) * y * y * y; });
}

// d |x| = sign(x), taken as 0 at 0 like PyTorch.
Tensor abs(const Tensor& x) {
  return pointwise("abs", x, [](auto v) { return std::abs(v); },
                   [](auto v, auto) { return decltype(v)((v > 0) - (v < 0)); });
}

// d tanh(x) = 1 - tanh(x)^2 = 1 - y^2
Tensor tanh(const Tensor& x) {
  return pointwise("tanh", x, [](auto v) { return std::tanh(v); },
                   [](auto, auto y) { return 1 - y * y; });
}

// sigmoid(x) = 1 / (1 + e^-x), as PyTorch computes it. Stable at both ends: for x -> -inf,
// e^-x overflows to inf and 1/inf = 0 (never inf/inf); for x -> +inf, e^-x -> 0 gives 1.
// d sigmoid(x) = y (1 - y)
Tensor sigmoid(const Tensor& x) {
  return pointwise("sigmoid", x, [](auto v) { return 1 / (1 + std::exp(-v)); },
                   [](auto, auto y) { return y * (1 - y); });
}

// d x^e = e x^(e-1); zero for e = 0 (PyTorch), where x^-1 at x = 0 would give 0 * inf.
Tensor pow(const Tensor& x, double exponent) {
  return pointwise("pow_scalar", x,
                   [exponent](auto v) { return std::pow(v, decltype(v)(exponent)); },
                   [exponent](auto v, auto) {
                     using T = decltype(v);
                     return exponent == 0 ? T(0) : T(exponent) * std::pow(v, T(exponent - 1));
                   });
}

}  // namespace qkv
