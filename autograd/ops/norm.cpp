// layer_norm and rms_norm over the last dim. Both are one kernel, `center` telling
// them apart:
//   layer_norm: xhat = (x - mean) * rstd,  rstd = 1 / sqrt(mean((x - mean)^2) + eps)
//   rms_norm:   xhat = x * rstd,           rstd = 1 / sqrt(mean(x^2) + eps)
//   y = xhat * weight + bias               (weight, bias [D] optional)
// as PyTorch (biased variance, eps inside the sqrt). Forward saves mean and rstd per
// row; backward is one pass per row that also accumulates dweight and dbias.
#include "autograd/ops/norm.h"

#include <algorithm>
#include <cmath>

#include "autograd/factory.h"
#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// t as a contiguous buffer (a copy only when needed); not recorded on the tape.
Tensor dense(const Tensor& t) {
  NoGradGuard no_grad;
  return t.defined() ? contiguous(t) : t;
}

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}


// Shapes of one call: x [rows, n] seen as rows of its last dim.
struct NormShape {
  int64_t rows, n;
  bool center;  // layer_norm subtracts the mean, rms_norm does not
};

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

// y = xhat * w + b per row, saving mean (when not null: layer_norm) and rstd. The row
// sums run in T over fixed lanes (fast_math.h); two passes (mean, then the squares
// about it) avoid the cancellation of a one-pass variance.
template <typename T>
void norm_forward(const NormShape& s, double eps, const T* x, const T* w, const T* b, T* y, T* mean,
                  T* rstd) {
  const int64_t n = s.n;
  parallel_for(s.rows, row_grain(n), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* xr = x + i * n;
      fast::prefetch_ahead(xr, n);
      const T m = s.center ? static_cast<T>(fast::lane_sum<T>(n, [&](int64_t j) { return xr[j]; }) /
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

// dx of one row from xhat(j) and gw(j) = dy * weight:
//   dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), no mean(gw) without centering.
template <typename T, typename Xhat, typename Gw>
void dx_row(bool center, int64_t n, Xhat&& xhat, Gw&& gw, T r, T* dx) {
  const T mean_gw = center ? fast::lane_sum<T>(n, [&](int64_t j) { return gw(j); }) / static_cast<T>(n) : T(0);
  const T mean_gw_xhat = fast::lane_sum<T>(n, [&](int64_t j) { return gw(j) * xhat(j); }) / static_cast<T>(n);
  for (int64_t j = 0; j < n; ++j) dx[j] = r * (gw(j) - mean_gw - xhat(j) * mean_gw_xhat);
}

// Backward, one row at a time (its passes hit L1). With gw = dy * weight (dy when there
// is no weight):
//   dx      = rstd * (gw - mean(gw) - xhat * mean(gw * xhat))   (no mean(gw) term for rms_norm)
//   dweight = sum over rows of dy * xhat,   dbias = sum over rows of dy
// dx may be null (x needs no gradient), so may dw and db. The weight gradients are
// summed per fixed block of rows into double partials, then the partials in block
// order: the result does not depend on the thread count.
template <typename T>
void norm_backward(const NormShape& s, const T* x, const T* w, const T* mean, const T* rstd, const T* dy,
                   T* dx, T* dw, T* db) {
  const int64_t n = s.n, rows = s.rows;
  constexpr int64_t kMaxBlocks = 64;
  const int64_t rows_per_block = std::max<int64_t>(1, (rows + kMaxBlocks - 1) / kMaxBlocks);
  const int64_t blocks = rows > 0 ? (rows + rows_per_block - 1) / rows_per_block : 0;
  // [blocks, n] double partials, from the caching allocator.
  Tensor part_w = dw ? zeros({blocks, n}, DType::f64) : Tensor();
  Tensor part_b = db ? zeros({blocks, n}, DType::f64) : Tensor();

  parallel_for(blocks, std::max<int64_t>(1, row_grain(n) / rows_per_block), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      double* pw = dw ? part_w.data<double>() + blk * n : nullptr;
      double* pb = db ? part_b.data<double>() + blk * n : nullptr;
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
            dx_row(s.center, n, xhat, [&](int64_t j) { return dyr[j] * w[j]; }, r, dxr);
          else
            dx_row(s.center, n, xhat, [&](int64_t j) { return dyr[j]; }, r, dxr);
        }
      }
    }
  });

  // Partials summed in block order, parallel over columns.
  auto combine = [&](const Tensor& part, T* out) {
    const double* p = part.data<double>();
    parallel_for(n, row_grain(blocks), [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        double acc = 0;
        for (int64_t blk = 0; blk < blocks; ++blk) acc += p[blk * n + j];
        out[j] = static_cast<T>(acc);
      }
    });
  };
  if (dw) combine(part_w, dw);
  if (db) combine(part_b, db);
}

void check_affine(const Tensor& p, const char* what, const Tensor& x, const char* op) {
  if (!p.defined()) return;
  QKV_CHECK(p.dim() == 1 && p.shape()[0] == x.shape().back(), "{}: {} {} does not match last dim of {}", op, what,
        p.shape().str(), x.shape().str());
  check_same_dtype(x, p, op);
}

Tensor norm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps, bool center,
                 const char* op) {
  check_floating(x, op);
  QKV_CHECK(x.dim() > 0, "{}: expected a tensor with at least one dim, got {}", op, describe(x));
  check_affine(weight, "weight", x, op);
  check_affine(bias, "bias", x, op);
  const NormShape s{x.shape().back() > 0 ? x.numel() / x.shape().back() : 0, x.shape().back(), center};

  Tensor xc = dense(x), wc = dense(weight), bc = dense(bias);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = center ? Tensor::empty({s.rows}, x.dtype()) : Tensor();
  Tensor rstd = Tensor::empty({s.rows}, x.dtype());
  dispatch_float(x.dtype(), op, [&]<typename T>() {
    norm_forward<T>(s, eps, xc.data<T>(), data_or_null<T>(wc), data_or_null<T>(bc), out.data<T>(),
                    center ? mean.data<T>() : nullptr, rstd.data<T>());
  });

  if (any_requires_grad(x, weight, bias))
    record(op, out, [x, weight, bias, xc, wc, mean, rstd, s, op](const Tensor& g) {
      Tensor gc = dense(g);
      auto grad_for = [&](const Tensor& t) { return t.requires_grad() ? Tensor::empty(t.shape(), t.dtype()) : Tensor(); };
      Tensor dx = grad_for(x), dw = grad_for(weight), db = grad_for(bias);
      dispatch_float(x.dtype(), op, [&]<typename T>() {
        norm_backward<T>(s, xc.data<T>(), data_or_null<T>(wc), data_or_null<T>(mean), rstd.data<T>(),
                         gc.data<T>(), data_or_null<T>(dx), data_or_null<T>(dw), data_or_null<T>(db));
      });
      if (dx.defined()) accumulate_grad(x, dx, op);
      if (dw.defined()) accumulate_grad(weight, dw, op);
      if (db.defined()) accumulate_grad(bias, db, op);
    });
  return out;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  return norm_impl(x, weight, bias, eps, true, "layer_norm");
}

Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  return norm_impl(x, weight, Tensor(), eps, false, "rms_norm");
}

}  // namespace qkv
