// 512-bit vectors for this file's exp/erf-heavy loops: under -march=native GCC prefers
// 256-bit ones, and the wider ones measured 1.2-1.4x faster here (bench/bench_kernels).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "autograd/ops/activation.h"

#include <algorithm>
#include <cmath>

#include "autograd/dispatch.h"
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/ops/pointwise.h"
#include "autograd/tape.h"
#include "cpu/fast_math.h"

namespace qkv {

namespace {
constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
constexpr double kGeluCubic = 0.044715;                  // the tanh approximation's cubic term

// Each gelu form as value(x) and derivative(x), overloaded on the dtype: float uses
// fast_math.h (vectorised, ~1e-7 relative), double the std:: functions (gradcheck's
// reference, unchanged).

// gelu(x) = x Phi(x), Phi(x) = 0.5 (1 + erf(x / sqrt2));  d gelu = Phi(x) + x phi(x),
// phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
struct GeluErf {
  static float value(float x) { return x * fast::normal_cdf(x); }
  static float derivative(float x) { return fast::normal_cdf(x) + x * fast::normal_pdf(x); }
  static double value(double x) { return 0.5 * x * (1 + std::erf(x * kSqrt1_2)); }
  static double derivative(double x) {
    return 0.5 * (1 + std::erf(x * kSqrt1_2)) + x * (kInvSqrt2Pi * std::exp(-0.5 * x * x));
  }
};

// gelu_tanh(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3);
// d gelu_tanh = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
// Float uses 1 + tanh u = 2 s, 1 - tanh^2 u = 4 s (1 - s), s = sigmoid(2u) = 1 / (1 + e),
// e = exp(-2u): x s has no cancellation for negative x (1 + tanh u has), and
// 1 - s = e s stays accurate where s is near 1.
struct GeluTanh {
  static float inner(float x) { return float(kSqrt2OverPi) * (x + float(kGeluCubic) * x * x * x); }
  static float value(float x) { return x / (1.0f + fast::exp(-2.0f * inner(x))); }
  static float derivative(float x) {
    const float e = fast::exp(-2.0f * inner(x)), s = 1.0f / (1.0f + e);
    const float one_minus_s = std::isinf(e) ? 1.0f : e * s;  // e = inf: s = 0, not inf * 0
    const float du = float(kSqrt2OverPi) * (1.0f + 3.0f * float(kGeluCubic) * x * x);
    return s + 2.0f * x * s * one_minus_s * du;
  }
  static double value(double x) {
    const double u = kSqrt2OverPi * (x + kGeluCubic * x * x * x);
    return 0.5 * x * (1 + std::tanh(u));
  }
  static double derivative(double x) {
    const double t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
    const double du = kSqrt2OverPi * (1 + 3 * kGeluCubic * x * x);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du;
  }
};

// silu(x) = x sigmoid(x) = x / (1 + e^-x) (no NaN for large |x|: e^-x -> inf gives x/inf = 0);
// d silu = s (1 + x (1 - s)), s = sigmoid(x)
struct Silu {
  template <typename T>
  static T value(T x) {
    return x / (1 + fast::exp(-x));
  }
  template <typename T>
  static T derivative(T x) {
    const T s = 1 / (1 + fast::exp(-x));
    return s * (1 + x * (1 - s));
  }
};

// f(a, rest...) elementwise over tensors of one shape. Contiguous float32 takes the
// streaming loop that prefetches ahead (cpu/kernels/elementwise.h); anything else goes
// through the elementwise engine.
template <typename F, typename... Rest>
Tensor stream_map(const char* op, F f, const Tensor& a, const Rest&... rest) {
  auto streamable = [&](const Tensor& t) { return t.dtype() == DType::f32 && t.is_contiguous() && t.shape() == a.shape(); };
  if (!(streamable(a) && (streamable(rest) && ...))) {
    if constexpr (sizeof...(Rest) == 0)
      return unary_map(a, op, f);
    else
      return binary_map(a, rest..., op, f);
  }
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  on_device(device_of(op, a, rest...), op, [&](auto backend) {
    stream_elementwise(backend, a.numel(), out.data<float>(), f, a.data<float>(), rest.template data<float>()...);
  });
  return out;
}

// The gradient g * f'(x) of an activation from its Form (value and derivative,
// overloaded on the dtype): reads g and x only.
template <typename Form>
Tensor activation_backward(const char* op, const Tensor& x, const Tensor& g) {
  return stream_map(op, [](auto gv, auto xv) { return gv * Form::derivative(xv); }, g, x);
}

// The activation itself; its backward keeps x, not y.
template <typename Form>
Tensor activation(const char* op, const Tensor& x) {
  Tensor y = stream_map(op, [](auto v) { return Form::value(v); }, x);
  if (any_requires_grad(x))
    record(op, y, [op, x](const Tensor& g) { accumulate_grad(x, activation_backward<Form>(op, x, g), op); });
  return y;
}
}  // namespace

// relu(x) = max(x, 0) (NaN stays NaN); d relu = 1 for x > 0, else 0 (0 at the kink, like PyTorch).
Tensor relu(const Tensor& x) {
  return pointwise("relu", x, [](auto v) { return std::max(v, decltype(v)(0)); },
                   [](auto v, auto) { return decltype(v)(v > 0); });
}

Tensor gelu(const Tensor& x, GeluApprox approx) {
  return approx == GeluApprox::none ? activation<GeluErf>("gelu", x) : activation<GeluTanh>("gelu_tanh", x);
}

Tensor gelu_backward(const Tensor& x, const Tensor& grad, GeluApprox approx) {
  return approx == GeluApprox::none ? activation_backward<GeluErf>("gelu_backward", x, grad)
                                    : activation_backward<GeluTanh>("gelu_backward", x, grad);
}

Tensor silu(const Tensor& x) { return activation<Silu>("silu", x); }

}  // namespace qkv
