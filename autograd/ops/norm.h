// layer_norm and rms_norm over the last dim, each one fused kernel forward and one
// fused kernel backward (the mean and 1/std saved per row).
#pragma once
#include "autograd/tensor.h"

namespace qkv {

// (x - mean) / sqrt(var + eps) * weight + bias; weight and bias [D] may be undefined.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);
// x / sqrt(mean(x^2) + eps) * weight; weight [D] may be undefined.
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps = 1e-6);

}  // namespace qkv
