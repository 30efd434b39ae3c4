// softmax and log_softmax: one fused row kernel forward, one backward. The kernels
// work on contiguous rows of the last dim; any other dim is swapped to the back
// first (a copy only when the swapped layout is not already contiguous) and the
// result is swapped back.
//
// A row whose inputs are all -inf (a fully masked attention row) has no defined
// softmax (0/0; PyTorch gives NaN). We give softmax 0 and log_softmax -inf there,
// and a zero gradient: masks never produce NaN (docs/design.md section 3).
// 512-bit vectors for this file's exp/erf-heavy loops: under -march=native GCC prefers
// 256-bit ones, and the wider ones measured 1.2-1.4x faster here (bench/bench_kernels).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "autograd/ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// t with dims d and last swapped, as a contiguous buffer; not recorded (the op
// records itself). Swapping is its own inverse, so this also moves results back.
Tensor swap_last(const Tensor& t, int d) {
  NoGradGuard no_grad;
  return contiguous(d == t.dim() - 1 ? t : transpose(t, d, -1));
}


// y = softmax(x) (log = false) or log_softmax(x) (log = true), row by row over
// contiguous [rows, n] buffers:
//   softmax:     y_j = exp(x_j - m) / s,      s = sum_k exp(x_k - m),  m = max x
//   log_softmax: y_j = (x_j - m) - log s
// m is NaN when the row holds a NaN (so NaN propagates), -inf for a fully masked row.
// Sums run in T over fixed lanes (fast_math.h), exp is fast::exp (std::exp for double).
template <typename T>
void forward_rows(const T* x_all, T* y_all, int64_t rows, int64_t n, bool log) {
  constexpr T kMinusInf = -std::numeric_limits<T>::infinity();
  parallel_for(rows, row_grain(n), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* x = x_all + i * n;
      T* y = y_all + i * n;
      fast::prefetch_ahead(x, n);
      const T m = fast::lane_max(x, n);
      if (m == kMinusInf) {  // fully masked row (see the top)
        std::fill(y, y + n, log ? kMinusInf : T(0));
        continue;
      }
      if (log) {  // x - m stored in the exp pass, so that y's first (cache-missing) writes overlap the exps
        const T s = fast::lane_sum<T>(n, [&](int64_t j) { return fast::exp(y[j] = x[j] - m); });
        const T log_s = std::log(s);
        for (int64_t j = 0; j < n; ++j) y[j] -= log_s;
      } else {
        const T s = fast::lane_sum<T>(n, [&](int64_t j) { return y[j] = fast::exp(x[j] - m); });
        const T inv = T(1) / s;
        for (int64_t j = 0; j < n; ++j) y[j] *= inv;
      }
    }
  });
}

// dx from the output y and its gradient dy, row by row:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log_softmax: dx = dy - exp(y) * sum(dy)   (zero for a fully masked row)
template <typename T>
void backward_rows(const T* y_all, const T* dy_all, T* dx_all, int64_t rows, int64_t n, bool log) {
  parallel_for(rows, row_grain(n), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T *y = y_all + i * n, *dy = dy_all + i * n;
      T* dx = dx_all + i * n;
      fast::prefetch_ahead(y, n);
      fast::prefetch_ahead(dy, n);
      if (!log) {
        const T dot = fast::lane_sum<T>(n, [&](int64_t j) { return dy[j] * y[j]; });
        for (int64_t j = 0; j < n; ++j) dx[j] = y[j] * (dy[j] - dot);
        continue;
      }
      if (fast::lane_max(y, n) == -std::numeric_limits<T>::infinity()) {  // fully masked row
        std::fill(dx, dx + n, T(0));
        continue;
      }
      const T sum_dy = fast::lane_sum<T>(n, [&](int64_t j) { return dy[j]; });
      for (int64_t j = 0; j < n; ++j) dx[j] = dy[j] - fast::exp(y[j]) * sum_dy;
    }
  });
}

Tensor softmax_impl(const Tensor& x, int64_t dim, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_floating(x, op);
  QKV_CHECK(x.dim() > 0, "{}: expected a tensor with at least one dim, got {}", op, describe(x));
  const int d = wrap_dim(dim, x.dim(), op);
  const int64_t n = x.shape()[d];
  const int64_t rows = n > 0 ? x.numel() / n : 0;

  Tensor x_rows = swap_last(x, d);  // [..., n]
  Tensor y_rows = Tensor::empty(x_rows.shape(), x.dtype());
  dispatch_float(x.dtype(), op, [&]<typename T>() {
    forward_rows(x_rows.data<T>(), y_rows.data<T>(), rows, n, log);
  });
  Tensor out = swap_last(y_rows, d);

  if (any_requires_grad(x))
    record(op, out, [x, y_rows, d, n, rows, log, op](const Tensor& g) {
      Tensor g_rows = swap_last(g, d);
      Tensor dx_rows = Tensor::empty(y_rows.shape(), y_rows.dtype());
      dispatch_float(y_rows.dtype(), op, [&]<typename T>() {
        backward_rows(y_rows.data<T>(), g_rows.data<T>(), dx_rows.data<T>(), rows, n, log);
      });
      accumulate_grad(x, swap_last(dx_rows, d), op);
    });
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(x, dim, true); }

}  // namespace qkv
