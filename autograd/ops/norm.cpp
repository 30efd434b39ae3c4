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
#include "autograd/parallel.h"
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

// y = xhat * w + b per row, saving mean (when not null: layer_norm) and rstd.
template <typename T>
void norm_forward(const NormShape& s, double eps, const T* x, const T* w, const T* b, T* y, T* mean,
                  T* rstd) {
  const int64_t n = s.n;
  parallel_for(s.rows, row_grain(n), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* xr = x + i * n;
      T* yr = y + i * n;
      double mu = 0;
      if (s.center) {
        for (int64_t j = 0; j < n; ++j) mu += xr[j];
        mu /= static_cast<double>(n);
      }
      double ss = 0;
      for (int64_t j = 0; j < n; ++j) ss += (xr[j] - mu) * (xr[j] - mu);
      const double r = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
      const T m = static_cast<T>(mu), rt = static_cast<T>(r);
      for (int64_t j = 0; j < n; ++j) {
        T v = (xr[j] - m) * rt;
        if (w) v *= w[j];
        if (b) v += b[j];
        yr[j] = v;
      }
      if (mean) mean[i] = m;
      rstd[i] = rt;
    }
  });
}

// Backward, one pass per row. With gw = dy * weight (dy when there is no weight):
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
        const double m = mean ? mean[i] : 0.0, r = rstd[i];
        auto gw = [&](int64_t j) { return w ? static_cast<double>(dyr[j]) * w[j] : static_cast<double>(dyr[j]); };
        double sum_gw = 0, sum_gw_xhat = 0;
        for (int64_t j = 0; j < n; ++j) {
          const double xhat = (xr[j] - m) * r, g = gw(j);
          sum_gw += g;
          sum_gw_xhat += g * xhat;
          if (pw) pw[j] += dyr[j] * xhat;
          if (pb) pb[j] += dyr[j];
        }
        if (!dx) continue;
        const double mean_gw = s.center ? sum_gw / n : 0.0, mean_gw_xhat = sum_gw_xhat / n;
        T* dxr = dx + i * n;
        for (int64_t j = 0; j < n; ++j)
          dxr[j] = static_cast<T>(r * (gw(j) - mean_gw - (xr[j] - m) * r * mean_gw_xhat));
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
  check(p.dim() == 1 && p.shape()[0] == x.shape().back(), "{}: {} {} does not match last dim of {}", op, what,
        p.shape().str(), x.shape().str());
  check_same_dtype(x, p, op);
}

Tensor norm_impl(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps, bool center,
                 const char* op) {
  check_floating(x, op);
  check(x.dim() > 0, "{}: expected a tensor with at least one dim, got {}", op, describe(x));
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
