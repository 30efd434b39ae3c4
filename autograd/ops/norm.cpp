// layer_norm and rms_norm over the last dim. Both are one kernel, `center` telling
// them apart (cpu/kernels/norm.h has the formulas):
//   layer_norm: xhat = (x - mean) * rstd,  rms_norm: xhat = x * rstd
//   y = xhat * weight + bias               (weight, bias [D] optional)
// Forward saves mean and rstd per row; backward is one pass per row that also
// accumulates dweight and dbias.
#include "autograd/ops/norm.h"

#include "autograd/dispatch.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"
#include "cpu/kernels/norm.h"

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
  // x seen as rows of its last dim.
  const int64_t cols = x.shape().back(), rows = cols > 0 ? x.numel() / cols : 0;

  Tensor xc = dense(x), wc = dense(weight), bc = dense(bias);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = center ? Tensor::empty({rows}, x.dtype()) : Tensor();
  Tensor rstd = Tensor::empty({rows}, x.dtype());
  on_device(device_of(op, x, weight, bias), op, [&](auto backend) {
    dispatch_float(x.dtype(), op, [&]<typename T>() {
      norm_forward(backend, rows, cols, center, eps, xc.data<T>(), data_or_null<T>(wc), data_or_null<T>(bc),
                   out.data<T>(), data_or_null<T>(mean), rstd.data<T>());
    });
  });

  if (any_requires_grad(x, weight, bias))
    record(op, out, [x, weight, bias, xc, wc, mean, rstd, rows, cols, center, op](const Tensor& g) {
      Tensor gc = dense(g);
      auto grad_for = [&](const Tensor& t) { return t.requires_grad() ? Tensor::empty(t.shape(), t.dtype()) : Tensor(); };
      Tensor dx = grad_for(x), dw = grad_for(weight), db = grad_for(bias);
      on_device(device_of(op, x, g), op, [&](auto backend) {
        dispatch_float(x.dtype(), op, [&]<typename T>() {
          norm_backward(backend, rows, cols, center, xc.data<T>(), data_or_null<T>(wc), data_or_null<T>(mean),
                        rstd.data<T>(), gc.data<T>(), data_or_null<T>(dx), data_or_null<T>(dw), data_or_null<T>(db));
        });
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
