#include "autograd/factory.h"

#include <cmath>

#include "cpu/parallel.h"

namespace qkv {

void fill_(const Tensor& t, double value) {
  QKV_CHECK(t.is_contiguous(), "fill_: tensor must be contiguous, got strides {}", t.strides().str());
  dispatch_all(t.dtype(), [&]<typename T>() {
    T* p = t.data<T>();
    T v = static_cast<T>(value);
    parallel_for(t.numel(), 1 << 16, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

Tensor full(const Dims& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  fill_(t, value);
  return t;
}
Tensor zeros(const Dims& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Dims& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }

Tensor arange(double start, double end, double step, DType dtype) {
  QKV_CHECK(step != 0, "arange: step must be non-zero");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  Tensor t = Tensor::empty({n}, dtype);
  dispatch_all(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}
Tensor arange(int64_t n, DType dtype) { return arange(0.0, static_cast<double>(n), 1.0, dtype); }

Tensor randn(const Dims& shape, Generator& gen, DType dtype, double mean, double std) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_float(dtype, "randn", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(mean + std * gen.normal());
  });
  return t;
}

Tensor uniform(const Dims& shape, Generator& gen, double low, double high, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_float(dtype, "uniform", [&]<typename T>() {
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      p[i] = static_cast<T>(low + (high - low) * gen.uniform());
  });
  return t;
}

}  // namespace qkv
