// OpenMP helpers. OpenBLAS (Debian's OpenMP build) uses the same pool, so one
// thread count governs both our loops and matmul.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace qkv {

void set_num_threads(int n);  // OpenMP and OpenBLAS together
int num_threads();

// Runs f(begin, end) over [0, n) split statically across threads: the split depends
// only on n and the thread count, so results are reproducible. Runs inline when the
// work is small (n <= grain) or when already inside a parallel region.
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n <= grain || omp_in_parallel() || omp_get_max_threads() == 1) {
    f(int64_t{0}, n);
    return;
  }
  int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  int nt = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), max_chunks));
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), k = omp_get_num_threads();
    int64_t chunk = (n + k - 1) / k;
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) f(b, e);
  }
}

// Rows per parallel chunk for row kernels: about 16k elements of work per chunk, so
// short rows are batched and long rows are split one per chunk.
inline int64_t row_grain(int64_t row_len, int64_t work = 16384) {
  return std::max<int64_t>(1, work / std::max<int64_t>(row_len, 1));
}

}  // namespace qkv
