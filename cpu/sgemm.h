// qkv's own float32 GEMM: an AVX-512 6x64 micro-kernel behind BLIS-style packing (llm.c's
// habit: own the few kernels that matter). It wins on the small products of small models
// (gpt-tiny's 768x128x128 and the like), where OpenBLAS spends much of each call packing and
// synchronising, and on every product where OpenBLAS runs AVX2 kernels on an AVX-512 CPU
// (OPENBLAS_CORETYPE=Haswell). matmul uses it for the float32 products own_sgemm_suits
// names, on CPUs with AVX-512F, and BLAS for the rest and for float64; bench/bench_sgemm.cpp
// measures both on the benchmark models' shapes, which is where the rule comes from.
//
// Results do not depend on the thread count: threads split the rows or columns of C, and
// every element of C sums its k products in the same order whatever the split.
#pragma once
#include <cstdint>

namespace qkv {

// One operand as BLAS reads it: row-major as stored, or the transpose of a row-major
// matrix (transposed), with ld the stored row stride.
struct SgemmOperand {
  const float* ptr;
  bool transposed;
  int64_t ld;
};

// Where the BLAS library has AVX-512 kernels (blas_sgemm_has_avx512), it beats ours on
// large products: the largest m*n*k that matmul then gives to own_sgemm (2^26: up to about
// 768x512x128), and the larger bound for products that are shallow (k <= kOwnSgemmShallowK)
// and read A in place row by row (not transposed): seq2seq's 2048x256x256 Linear layers.
inline constexpr int64_t kOwnSgemmMaxWork = int64_t{1} << 26;
inline constexpr int64_t kOwnSgemmMaxShallowWork = int64_t{1} << 28;
inline constexpr int64_t kOwnSgemmShallowK = 256;
// Fewest rows of A: a transposed B is packed on every call, which only pays when many
// rows use it (a one-row product while sampling would pack a whole weight per token).
inline constexpr int64_t kOwnSgemmMinRows = 32;

// Whether this CPU can run own_sgemm (AVX-512F), checked once.
bool own_sgemm_available();

// Whether matmul should use own_sgemm for an m x n x k float32 product whose A is
// stored transposed or not: every product of kOwnSgemmMinRows rows or more when the BLAS
// library's kernels lack AVX-512, else the small ones above.
bool own_sgemm_suits(int64_t m, int64_t n, int64_t k, bool transposed_a);

// c[m, n] (row stride ldc) = a[m, k] b[k, n], or c += a b when accumulate, or (bias [n]
// given, not accumulate) every row of c = bias + that row of a b, rounded as c filled with
// the bias and then accumulated into. Threads: the OpenMP thread count, one thread inside
// a parallel region or for tiny products. Requires own_sgemm_available().
void own_sgemm(const SgemmOperand& a, const SgemmOperand& b, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k,
               bool accumulate, const float* bias = nullptr);

}  // namespace qkv
