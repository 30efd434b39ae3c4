// How BLAS reads the last two dims of a tensor in place, shared by matmul and the fused
// attention: row-major as it is (NoTrans, ld = row stride), or as the transpose of a
// row-major matrix (Trans, ld = column stride). Internal to the ops.
#pragma once
#include <optional>

#include "cpu/blas_backend.h"
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

// c[m, n] (row stride ldc) = op(a) op(b), or c += op(a) op(b) when accumulate; op(x) is
// x as stored (NoTrans, row stride ld) or the transpose of what is stored (Trans, ld its
// row stride). With bias [n] (and not accumulate) every row of c is bias + the product's
// row (the Linear layer's bias, added by the GEMM instead of by a pass of its own).
// Float products own_sgemm_suits go to own_sgemm (cpu/sgemm.h), one-row ones to
// BLAS's gemv, the rest to BLAS's gemm. Defined for float and double.
template <typename T>
void gemm_into(CBLAS_TRANSPOSE trans_a, const T* a, int64_t lda, CBLAS_TRANSPOSE trans_b, const T* b, int64_t ldb, T* c,
               int64_t ldc, int64_t m, int64_t n, int64_t k, bool accumulate, const T* bias = nullptr);

}  // namespace qkv
