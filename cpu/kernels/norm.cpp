#include "cpu/kernels/norm.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace qkv::cpu {
namespace {

// The affine step y = xhat * w + b over one row, with the branches on the optional w
// and b outside the loop (so that it vectorises).
template <typename T, typename Xhat>
void affine_row(int64_t n, const T* w, const T* b, T* y, Xhat&& xhat) {
  if (w && b) {
    for (int64_t j = 0; j < n; ++j) y[j] = xhat(j) * w[j] + b[j];
  } else if (w) {
    for (int64_t j = 0; j < n; ++j) y[j] = xhat(j) * w[j];
  } else if (b) {
    for (int64_t j = 0; j < n; ++j) y[j] = xhat(j) + b[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = xhat(j);
  }
}

// dx of one row from xhat(j) and gw(j) = dy * weight:
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), no mean(gw) without centering.
template <typename T, typename Xhat, typename Gw>
void dx_row(bool center, int64_t n, Xhat&& xhat, Gw&& gw, T r, T* dx) {
  const T mean_gw = center ? fast::lane_sum<T>(n, [&](int64_t j) { return gw(j); }) / static_cast<T>(n) : T(0);
  const T mean_gw_xhat = fast::lane_sum<T>(n, [&](int64_t j) { return gw(j) * xhat(j); }) / static_cast<T>(n);
  for (int64_t j = 0; j < n; ++j) dx[j] = r * (gw(j) - mean_gw - xhat(j) * mean_gw_xhat);
}

}  // namespace

// The row sums run in T over fixed lanes (fast_math.h); two passes (mean, then the squares
// about it) avoid the cancellation of a one-pass variance.
template <typename T>
void norm_forward(Backend, int64_t rows, int64_t cols, bool center, double eps, const T* x, const T* w,
                  const T* b, T* y, T* mean, T* rstd) {
  const int64_t n = cols;
  parallel_for(rows, row_grain(n), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* xr = x + i * n;
      fast::prefetch_ahead(xr, n);
      const T m = center ? static_cast<T>(fast::lane_sum<T>(n, [&](int64_t j) { return xr[j]; }) /
                                          static_cast<double>(n))
                         : T(0);
      const T ss = fast::lane_sum<T>(n, [&](int64_t j) { return (xr[j] - m) * (xr[j] - m); });
      const T r = static_cast<T>(1.0 / std::sqrt(static_cast<double>(ss) / static_cast<double>(n) + eps));
      affine_row(n, w, b, y + i * n, [&](int64_t j) { return (xr[j] - m) * r; });
      if (mean) mean[i] = m;
      rstd[i] = r;
    }
  });
}

// One row at a time (its passes hit L1).
template <typename T>
void norm_backward(Backend, int64_t rows, int64_t cols, bool center, const T* x, const T* w, const T* mean,
                   const T* rstd, const T* dy, T* dx, T* dw, T* db) {
  const int64_t n = cols;
  constexpr int64_t kMaxBlocks = 64;
  const int64_t rows_per_block = std::max<int64_t>(1, (rows + kMaxBlocks - 1) / kMaxBlocks);
  const int64_t blocks = rows > 0 ? (rows + rows_per_block - 1) / rows_per_block : 0;
  // [blocks, n] double partials, only for the sums wanted.
  std::optional<ZeroedScratch<double>> part_w, part_b;
  if (dw) part_w.emplace(blocks * n);
  if (db) part_b.emplace(blocks * n);

  parallel_for(blocks, std::max<int64_t>(1, row_grain(n) / rows_per_block), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      double* pw = dw ? part_w->data() + blk * n : nullptr;
      double* pb = db ? part_b->data() + blk * n : nullptr;
      for (int64_t i = blk * rows_per_block; i < std::min(rows, (blk + 1) * rows_per_block); ++i) {
        const T *xr = x + i * n, *dyr = dy + i * n;
        fast::prefetch_ahead(xr, n);
        fast::prefetch_ahead(dyr, n);
        const T m = mean ? mean[i] : T(0), r = rstd[i];
        auto xhat = [&](int64_t j) { return (xr[j] - m) * r; };
        if (pw)
          for (int64_t j = 0; j < n; ++j) pw[j] += static_cast<double>(dyr[j] * xhat(j));
        if (pb)
          for (int64_t j = 0; j < n; ++j) pb[j] += static_cast<double>(dyr[j]);
        if (dx) {
          T* dxr = dx + i * n;
          if (w)
            dx_row(center, n, xhat, [&](int64_t j) { return dyr[j] * w[j]; }, r, dxr);
          else
            dx_row(center, n, xhat, [&](int64_t j) { return dyr[j]; }, r, dxr);
        }
      }
    }
  });

  // Partials summed in block order, parallel over columns.
  auto combine = [&](const double* p, T* out) {
    parallel_for(n, row_grain(blocks), [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        double acc = 0;
        for (int64_t blk = 0; blk < blocks; ++blk) acc += p[blk * n + j];
        out[j] = static_cast<T>(acc);
      }
    });
  };
  if (dw) combine(part_w->data(), dw);
  if (db) combine(part_b->data(), db);
}

#define QKV_NORM_KERNELS(T)                                                                                   \
  template void norm_forward<T>(Backend, int64_t, int64_t, bool, double, const T*, const T*, const T*, T*, T*, \
                                T*);                                                                          \
  template void norm_backward<T>(Backend, int64_t, int64_t, bool, const T*, const T*, const T*, const T*,     \
                                 const T*, T*, T*, T*);
QKV_NORM_KERNELS(float)
QKV_NORM_KERNELS(double)
#undef QKV_NORM_KERNELS

}  // namespace qkv::cpu
