// 512-bit vectors for this file's exp-heavy loops: under -march=native GCC prefers 256-bit
// ones, and the wider ones measured 1.2-1.4x faster here (bench/bench_kernels).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "cpu/kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>

#include "cpu/fast_math.h"
#include "cpu/parallel.h"

namespace qkv::cpu {

// The row sums run in T over fixed lanes (fast_math.h), the per-row loss in double.
template <typename T>
void cross_entropy_forward(Backend, int64_t rows, int64_t classes, const T* x_all, const int64_t* t,
                           int64_t ignore_index, double label_smoothing, double* loss, T* row_max, T* log_sum) {
  const int64_t C = classes;
  const double s = label_smoothing;
  parallel_for(rows, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (t[i] == ignore_index) {
        loss[i] = 0;
        continue;
      }
      const T* x = x_all + i * C;
      fast::prefetch_ahead(x, C);
      const T m = fast::lane_max(x, C);
      const double sum_exp = fast::lane_sum<T>(C, [&](int64_t c) { return fast::exp(x[c] - m); });
      const double sum_x = s > 0 ? fast::lane_sum<T>(C, [&](int64_t c) { return x[c]; }) : 0.0;
      // Relative to the max, so large logits (1e4) lose no precision: lse - x = (m - x) + log(sum_exp).
      const double ls = std::log(sum_exp);
      const double nll = (static_cast<double>(m) - x[t[i]]) + ls;
      const double smooth = (static_cast<double>(m) - sum_x / C) + ls;
      loss[i] = (1 - s) * nll + (s > 0 ? s * smooth : 0.0);
      row_max[i] = m;
      log_sum[i] = static_cast<T>(ls);
    }
  });
}

template <typename T>
void cross_entropy_backward(Backend, int64_t rows, int64_t classes, const T* x_all, const int64_t* t,
                            int64_t ignore_index, double label_smoothing, const T* row_max, const T* log_sum,
                            double scale, T* dx_all) {
  const int64_t C = classes;
  const T sc = static_cast<T>(scale);
  const T spread = static_cast<T>(label_smoothing / C), on_target = static_cast<T>(1 - label_smoothing);
  parallel_for(rows, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* x = x_all + i * C;
      T* dx = dx_all + i * C;
      fast::prefetch_ahead(x, C);
      if (t[i] == ignore_index) {
        std::fill(dx, dx + C, T(0));
        continue;
      }
      const T m = row_max[i], ls = log_sum[i];  // locals: dx cannot alias them
      for (int64_t c = 0; c < C; ++c) dx[c] = (fast::exp((x[c] - m) - ls) - spread) * sc;
      dx[t[i]] -= on_target * sc;
    }
  });
}

#define QKV_CROSS_ENTROPY_KERNELS(T)                                                                        \
  template void cross_entropy_forward<T>(Backend, int64_t, int64_t, const T*, const int64_t*, int64_t, double, \
                                         double*, T*, T*);                                                  \
  template void cross_entropy_backward<T>(Backend, int64_t, int64_t, const T*, const int64_t*, int64_t,      \
                                          double, const T*, const T*, double, T*);
QKV_CROSS_ENTROPY_KERNELS(float)
QKV_CROSS_ENTROPY_KERNELS(double)
#undef QKV_CROSS_ENTROPY_KERNELS

}  // namespace qkv::cpu
