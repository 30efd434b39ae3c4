#include "autograd/ops/blas_layout.h"

#include <algorithm>
#include <climits>

#include "cpu/parallel.h"
#include "cpu/sgemm.h"
#include "autograd/views.h"

namespace qkv {

std::optional<BlasLayout> blas_layout(const Tensor& x) {
  const int64_t rows = x.size(-2), cols = x.size(-1), rs = x.stride(-2), cs = x.stride(-1);
  // A size-1 (or empty) dim never moves the pointer, so its stride is free; BLAS still
  // wants ld >= max(1, length of a stored row).
  std::optional<BlasLayout> l;
  if ((cs == 1 || cols <= 1) && (rows <= 1 || rs >= std::max<int64_t>(cols, 1)))
    l = BlasLayout{CblasNoTrans, rows <= 1 ? std::max<int64_t>(cols, 1) : rs};
  else if ((rs == 1 || rows <= 1) && (cols <= 1 || cs >= std::max<int64_t>(rows, 1)))
    l = BlasLayout{CblasTrans, cols <= 1 ? std::max<int64_t>(rows, 1) : cs};
  if (l && l->ld > INT_MAX) return std::nullopt;
  return l;
}

Tensor blas_ready(const Tensor& x) {
  if (blas_layout(x)) return x;
  Tensor c = Tensor::empty(x.shape(), x.dtype());
  copy_(c, x);
  return c;
}

namespace {

// For BLAS, which has no bias: every row of c [m, n] (row stride ldc) set to bias [n] when
// one is given (and not accumulating), for BLAS to accumulate into. Returns the accumulate
// flag BLAS is then called with.
template <typename T>
bool preset_bias_rows(T* c, int64_t ldc, int64_t m, int64_t n, const T* bias, bool accumulate) {
  if (!bias || accumulate || m <= 0) return accumulate;
  parallel_for(m, row_grain(n), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) std::copy(bias, bias + n, c + r * ldc);
  });
  return true;
}

// One row of A times B as a matrix-vector product: OpenBLAS 0.3.21's sgemm packs all of B
// even for one row (only its AVX-512 cores have a small-matrix path), which made every
// token of cached sampling pack every weight. y[n] (+)= x[k] B, x at stride incx.
void gemv_row(CBLAS_TRANSPOSE trans_b, const float* b, int64_t ldb, const float* x, int64_t incx, float* y, int64_t n,
              int64_t k, bool accumulate) {
  // beta = 0 leaves y's old contents to BLAS's scaling, which keeps a NaN in some versions.
  if (!accumulate) std::fill(y, y + n, 0.0f);
  const float beta = 1.0f;
  // A transposed B is stored [n, k] (y = stored x), else [k, n] (y = stored^T x).
  if (trans_b == CblasTrans)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, b,
                static_cast<blasint>(ldb), x, static_cast<blasint>(incx), beta, y, 1);
  else
    cblas_sgemv(CblasRowMajor, CblasTrans, static_cast<blasint>(k), static_cast<blasint>(n), 1.0f, b,
                static_cast<blasint>(ldb), x, static_cast<blasint>(incx), beta, y, 1);
}

}  // namespace

template <>
void gemm_into<float>(CBLAS_TRANSPOSE trans_a, const float* a, int64_t lda, CBLAS_TRANSPOSE trans_b, const float* b,
                      int64_t ldb, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k, bool accumulate,
                      const float* bias) {
  if (own_sgemm_suits(m, n, k, trans_a == CblasTrans)) {  // our kernel beats OpenBLAS's per-call cost, or its AVX2 kernels
    own_sgemm({a, trans_a == CblasTrans, lda}, {b, trans_b == CblasTrans, ldb}, c, ldc, m, n, k, accumulate, bias);
    return;
  }
  accumulate = preset_bias_rows(c, ldc, m, n, bias, accumulate);
  if (m == 1 && n > 0 && k > 0) {
    gemv_row(trans_b, b, ldb, a, trans_a == CblasTrans ? lda : 1, c, n, k, accumulate);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a, trans_b, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb),
              accumulate ? 1.0f : 0.0f, c, static_cast<blasint>(ldc));
}

template <>
void gemm_into<double>(CBLAS_TRANSPOSE trans_a, const double* a, int64_t lda, CBLAS_TRANSPOSE trans_b, const double* b,
                       int64_t ldb, double* c, int64_t ldc, int64_t m, int64_t n, int64_t k, bool accumulate,
                       const double* bias) {
  accumulate = preset_bias_rows(c, ldc, m, n, bias, accumulate);
  cblas_dgemm(CblasRowMajor, trans_a, trans_b, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb),
              accumulate ? 1.0 : 0.0, c, static_cast<blasint>(ldc));
}

}  // namespace qkv
