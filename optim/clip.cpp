#include "optim/clip.h"

#include <cmath>

#include "autograd/dispatch.h"
#include "autograd/loops.h"
#include "cpu/parallel.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv::optim {
namespace {

// Elements per partial sum. Fixed (not per thread), so the order of additions never
// depends on how many threads run.
constexpr int64_t kBlock = 4096;
constexpr int kLanes = 8;

double sum_of_squares(const Tensor& grad) {
  Tensor g = contiguous(grad);
  return dispatch_float(g.dtype(), "clip_grad_norm", [&]<typename T>() {
    const T* x = g.data<T>();
    const int64_t n = g.numel(), blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> partial(blocks);
    parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        // kLanes independent sums (vectorisable, in a fixed order), added up at the end.
        double lane[kLanes] = {};
        int64_t i = k * kBlock;
        const int64_t end = std::min(n, i + kBlock);
        for (; i + kLanes <= end; i += kLanes)
          for (int j = 0; j < kLanes; ++j) lane[j] += static_cast<double>(x[i + j]) * static_cast<double>(x[i + j]);
        for (; i < end; ++i) lane[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        double s = 0;
        for (double l : lane) s += l;
        partial[k] = s;
      }
    });
    double total = 0;
    for (double s : partial) total += s;
    return total;
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
    if (Tensor g = p.grad(); g.defined()) sq += sum_of_squares(g);
  return std::sqrt(sq);
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  const double norm = grad_norm(params);
  if (max_norm <= 0) return norm;
  const double scale = max_norm / (norm + 1e-6);
  if (scale < 1)
    for (const Tensor& p : params)
      if (Tensor g = p.grad(); g.defined()) scale_(g, scale);
  return norm;
}

}  // namespace qkv::optim
