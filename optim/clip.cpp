#include "optim/clip.h"

#include <cmath>

#include "autograd/dispatch.h"
#include "autograd/loops.h"
#include "autograd/tape.h"
#include "autograd/views.h"
#include "cpu/kernels/reduce.h"

namespace qkv::optim {
namespace {

double squared_norm(const Tensor& grad) {
  Tensor g = contiguous(grad);
  return on_device(device_of("clip_grad_norm", g), "clip_grad_norm", [&](auto backend) {
    return dispatch_float(g.dtype(), "clip_grad_norm",
                          [&]<typename T>() { return sum_of_squares(backend, g.data<T>(), g.numel()); });
  });
}

// g *= scale in place, through g's own strides.
void scale_(const Tensor& g, double scale) {
  on_device(device_of("clip_grad_norm", g), "clip_grad_norm", [&](auto backend) {
    dispatch_float(g.dtype(), "clip_grad_norm", [&]<typename T>() {
      const T s = static_cast<T>(scale);
      elementwise_strided(backend, g.data<T>(), g.strides(), g.shape(), [s](T v) { return v * s; },
                          operand<T>(g, g.shape(), "clip_grad_norm"));
    });
  });
}

}  // namespace

double grad_norm(const std::vector<Tensor>& params) {
  NoGradGuard no_grad;
  double sq = 0;
  for (const Tensor& p : params)
    if (Tensor g = p.grad(); g.defined()) sq += squared_norm(g);
  return std::sqrt(sq);
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  // A negative, NaN or inf max_norm would silently mean "off": only 0 says so.
  QKV_CHECK(std::isfinite(max_norm) && max_norm >= 0, "clip_grad_norm: max_norm must be a finite number >= 0 (0 turns clipping off), got {}",
            max_norm);
  const double norm = grad_norm(params);
  if (max_norm == 0) return norm;
  const double scale = max_norm / (norm + 1e-6);
  if (scale < 1)
    for (const Tensor& p : params)
      if (Tensor g = p.grad(); g.defined()) scale_(g, scale);
  return norm;
}

}  // namespace qkv::optim
