// Matrix product through cblas sgemm/dgemm. 2-D operands, and batched operands
// ([..., M, K] x [..., K, N]) whose batch dims broadcast. Transposed or strided views
// are passed to BLAS with transpose flags and leading dimensions, not copied.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

Tensor matmul(const Tensor& a, const Tensor& b);

// The Linear layer as one op: x [..., in] W^T + b, W [out, in], b [out] optional. The
// bias is added by the GEMM itself (in own_sgemm's store, or by BLAS with beta = 1 over
// rows preset to b), and the backward computes dW = dy^T x directly in W's layout (no
// transposed copy).
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace qkv
