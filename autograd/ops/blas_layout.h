// How BLAS reads the last two dims of a tensor in place, shared by matmul and the fused
// attention: row-major as it is (NoTrans, ld = row stride), or as the transpose of a
// row-major matrix (Trans, ld = column stride). Internal to the ops.
#pragma once
#include <optional>

#include "autograd/blas_backend.h"
#include "autograd/tensor.h"

namespace qkv {

struct BlasLayout {
  CBLAS_TRANSPOSE trans;
  int64_t ld;
};

// The layout of x's [rows, cols] matrices; nullopt when the strides suit neither (a
// step-2 slice, a broadcast row) or the leading dimension exceeds BLAS's int.
std::optional<BlasLayout> blas_layout(const Tensor& x);

// x itself when BLAS can read its matrices in place, else a contiguous copy (not recorded).
Tensor blas_ready(const Tensor& x);

}  // namespace qkv
