// The elementwise engine's tensor side: every elementwise op (and many backward
// formulas) runs through unary_map, binary_map or ternary_map, which check dtypes,
// broadcast the shapes, allocate the fresh contiguous output and hand raw pointers and
// strides to the engine's loop, cpu/kernels/elementwise.h, through autograd/dispatch.h.
#pragma once
#include "autograd/dispatch.h"
#include "autograd/tensor.h"
#include "cpu/kernels/elementwise.h"

namespace qkv {

// Strides of t when broadcast to `shape` (NumPy rules; 0 where t is broadcast).
Dims broadcast_strides(const Tensor& t, const Dims& shape, const char* op);

template <typename T>
Operand<T> operand(const Tensor& t, const Dims& shape, const char* op) {
  return {t.data<T>(), broadcast_strides(t, shape, op)};
}

// New tensor f(a) for a floating tensor; f is a generic lambda, e.g. [](auto x) { return -x; }.
template <typename F>
Tensor unary_map(const Tensor& a, const char* op, F&& f) {
  check_floating(a, op);
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  on_device(device_of(op, a), op, [&](auto backend) {
    dispatch_float(a.dtype(), op, [&]<typename T>() {
      elementwise(backend, out.data<T>(), a.shape(), f, operand<T>(a, a.shape(), op));
    });
  });
  return out;
}

// New tensor f(a, b) with broadcasting; both floating, same dtype.
template <typename F>
Tensor binary_map(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  check_floating(a, op);
  check_same_dtype(a, b, op);
  Dims shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  on_device(device_of(op, a, b), op, [&](auto backend) {
    dispatch_float(a.dtype(), op, [&]<typename T>() {
      elementwise(backend, out.data<T>(), shape, f, operand<T>(a, shape, op), operand<T>(b, shape, op));
    });
  });
  return out;
}

// New tensor f(a, b, c) with broadcasting; all floating, same dtype.
template <typename F>
Tensor ternary_map(const Tensor& a, const Tensor& b, const Tensor& c, const char* op, F&& f) {
  check_floating(a, op);
  check_same_dtype(a, b, op);
  check_same_dtype(a, c, op);
  Dims shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  on_device(device_of(op, a, b, c), op, [&](auto backend) {
    dispatch_float(a.dtype(), op, [&]<typename T>() {
      elementwise(backend, out.data<T>(), shape, f, operand<T>(a, shape, op), operand<T>(b, shape, op),
                  operand<T>(c, shape, op));
    });
  });
  return out;
}

}  // namespace qkv
