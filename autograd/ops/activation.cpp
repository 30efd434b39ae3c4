#include "autograd/ops/activation.h"

#include <algorithm>
#include <cmath>

#include "autograd/ops/pointwise.h"

namespace qkv {

namespace {
constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;                  // the tanh approximation's cubic term
}  // namespace

// relu(x) = max(x, 0) (NaN stays NaN); d relu = 1 for x > 0, else 0 (0 at the kink, like PyTorch).
Tensor relu(const Tensor& x) {
  return pointwise("relu", x, [](auto v) { return std::max(v, decltype(v)(0)); },
                   [](auto v, auto) { return decltype(v)(v > 0); });
}

Tensor gelu(const Tensor& x, GeluApprox approx) {
  if (approx == GeluApprox::none) {
    // gelu(x) = x Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt2));  d gelu = Phi(x) + x phi(x),
    // phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    return pointwise("gelu", x,
                     [](auto v) {
                       using T = decltype(v);
                       return T(0.5) * v * (1 + std::erf(v * T(kSqrt1_2)));
                     },
                     [](auto v, auto) {
                       using T = decltype(v);
                       T cdf = T(0.5) * (1 + std::erf(v * T(kSqrt1_2)));
                       T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
                       return cdf + v * pdf;
                     });
  }
  // gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
  // d gelu_tanh = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
  return pointwise("gelu_tanh", x,
                   [](auto v) {
                     using T = decltype(v);
                     T u = T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v);
                     return T(0.5) * v * (1 + std::tanh(u));
                   },
                   [](auto v, auto) {
                     using T = decltype(v);
                     T t = std::tanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v));
                     T du = T(kSqrt2OverPi) * (1 + 3 * T(kGeluCubic) * v * v);
                     return T(0.5) * (1 + t) + T(0.5) * v * (1 - t * t) * du;
                   });
}

// silu(x) = x sigmoid(x) = x / (1 + e^-x) (no NaN for large |x|: e^-x -> inf gives x/inf = 0);
// d silu = s (1 + x (1 - s)), s = sigmoid(x)
Tensor silu(const Tensor& x) {
  return pointwise("silu", x, [](auto v) { return v / (1 + std::exp(-v)); },
                   [](auto v, auto) {
                     auto s = 1 / (1 + std::exp(-v));
                     return s * (1 + v * (1 - s));
                   });
}

}  // namespace qkv
