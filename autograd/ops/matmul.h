// Matrix product through cblas sgemm/dgemm. 2-D operands, and batched operands
// ([..., M, K] x [..., K, N]) whose batch dims broadcast. Transposed or strided views
// are passed to BLAS with transpose flags and leading dimensions, not copied.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace qkv
