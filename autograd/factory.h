// Tensor constructors. Random ones take an explicit Generator: no hidden global seed.
#pragma once
#include "base/generator.h"
#include "autograd/tensor.h"

namespace qkv {

Tensor zeros(const Dims& shape, DType dtype = DType::f32);
Tensor ones(const Dims& shape, DType dtype = DType::f32);
Tensor full(const Dims& shape, double value, DType dtype = DType::f32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
// 0, 1, ..., n-1 (and the start/end/step form, like torch.arange).
Tensor arange(int64_t n, DType dtype = DType::i64);
Tensor arange(double start, double end, double step, DType dtype);
// Samples are drawn serially in row-major order, so the values depend only on the
// generator's state, never on the thread count.
Tensor randn(const Dims& shape, Generator& gen, DType dtype = DType::f32, double mean = 0,
             double std = 1);
Tensor uniform(const Dims& shape, Generator& gen, double low = 0, double high = 1,
               DType dtype = DType::f32);

// Fills t (contiguous) in place with a value; no autograd.
void fill_(const Tensor& t, double value);

}  // namespace qkv
