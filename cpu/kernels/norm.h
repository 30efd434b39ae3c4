// layer_norm and rms_norm over the rows of a contiguous row-major x [rows, cols]:
//   layer_norm (center): xhat = (x - mean) * rstd,  rstd = 1 / sqrt(mean((x - mean)^2) + eps)
//   rms_norm:            xhat = x * rstd,           rstd = 1 / sqrt(mean(x^2) + eps)
//   y = xhat * weight + bias                        (weight, bias [cols], each may be null)
// as PyTorch (biased variance, eps inside the sqrt). T is float or double.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv::cpu {

// y [rows, cols]; saves rstd [rows] and, when centering, mean [rows] (null for rms_norm).
template <typename T>
void norm_forward(Backend, int64_t rows, int64_t cols, bool center, double eps, const T* x, const T* weight,
                  const T* bias, T* y, T* mean, T* rstd);

// From dy [rows, cols] and the forward's x, weight, mean (null for rms_norm) and rstd:
//   dx      = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)),  gw = dy * weight (dy without
//             weight); no mean(gw) term for rms_norm
//   dweight = sum over rows of dy * xhat,   dbias = sum over rows of dy
// Any of dx, dweight, dbias may be null (not wanted). The weight sums run per fixed block of
// rows into double partials, then over the partials in block order.
template <typename T>
void norm_backward(Backend, int64_t rows, int64_t cols, bool center, const T* x, const T* weight, const T* mean,
                   const T* rstd, const T* dy, T* dx, T* dweight, T* dbias);

}  // namespace qkv::cpu
