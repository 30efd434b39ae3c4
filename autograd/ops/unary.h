// Elementwise math of one tensor: neg, exp, log, sqrt, rsqrt, abs, tanh, sigmoid, pow.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);  // 1 / sqrt(x)
Tensor abs(const Tensor& x);    // gradient sign(x), 0 at 0 (as PyTorch)
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);

inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace qkv
