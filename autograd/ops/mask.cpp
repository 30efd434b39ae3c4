#include "autograd/ops/mask.h"

#include "autograd/dispatch.h"
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "cpu/kernels/mask.h"

namespace qkv {
namespace {

// cond ? a : b elementwise with broadcasting: a and b floating of one dtype, cond of
// any dtype (non-zero is true). Not recorded: the building block of every op here.
Tensor select(const Tensor& cond, const Tensor& a, const Tensor& b, const char* op) {
  check_floating(a, op);
  check_same_dtype(a, b, op);
  QKV_CHECK(cond.defined(), "{}: the condition is undefined", op);
  Dims shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), op), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  on_device(device_of(op, a, b, cond), op, [&](auto backend) {
    dispatch_float(a.dtype(), op, [&]<typename T>() {
      dispatch_all(cond.dtype(), [&]<typename C>() {
        elementwise(backend, out.data<T>(), shape, [](C c, T x, T y) { return c != C(0) ? x : y; },
                    operand<C>(cond, shape, op), operand<T>(a, shape, op), operand<T>(b, shape, op));
      });
    });
  });
  return out;
}

// A 0-d zero of like's dtype: broadcasts against anything.
Tensor scalar_zero(const Tensor& like) { return Tensor::scalar(0.0, like.dtype()); }

// x with the elements outside the band kept by tril/triu zeroed (last two dims).
// causal_mask(R, C, j) is 1 exactly where col > row + j, so
//   triu keeps col >= row + k, i.e. causal_mask(k - 1);  tril zeroes causal_mask(k).
Tensor triangle(const Tensor& x, int64_t k, bool upper, const char* op) {
  QKV_CHECK(x.defined() && x.dim() >= 2, "{}: expected a tensor with at least 2 dims, got {}", op,
        x.defined() ? describe(x) : "an undefined tensor");
  Tensor above = causal_mask(x.size(-2), x.size(-1), upper ? k - 1 : k);
  auto keep = [above, upper, op](const Tensor& t) {
    Tensor zero = scalar_zero(t);
    return upper ? select(above, t, zero, op) : select(above, zero, t, op);
  };
  Tensor out = keep(x);
  // The band is a fixed linear mask: the gradient is masked the same way.
  if (any_requires_grad(x)) record(op, out, [x, keep, op](const Tensor& g) { accumulate_grad(x, keep(g), op); });
  return out;
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = select(cond, a, b, "where");
  if (any_requires_grad(a, b))
    record("where", out, [cond, a, b](const Tensor& g) {
      // d out / d a = [cond], d out / d b = [!cond]; accumulate_grad sums broadcast dims.
      Tensor zero = scalar_zero(g);
      if (a.requires_grad()) accumulate_grad(a, select(cond, g, zero, "where"), "where");
      if (b.requires_grad()) accumulate_grad(b, select(cond, zero, g, "where"), "where");
    });
  return out;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_floating(x, "masked_fill");
  QKV_CHECK(mask.defined() && broadcast_shapes(x.shape(), mask.shape(), "masked_fill") == x.shape(),
        "masked_fill: mask {} does not broadcast to x {}", mask.defined() ? describe(mask) : "undefined",
        describe(x));
  Tensor out = select(mask, Tensor::scalar(value, x.dtype()), x, "masked_fill");
  if (any_requires_grad(x))
    record("masked_fill", out, [x, mask](const Tensor& g) {
      // Filled positions are constants: gradient 0 there, g elsewhere.
      accumulate_grad(x, select(mask, scalar_zero(g), g, "masked_fill"), "masked_fill");
    });
  return out;
}

Tensor tril(const Tensor& x, int64_t k) { return triangle(x, k, false, "tril"); }
Tensor triu(const Tensor& x, int64_t k) { return triangle(x, k, true, "triu"); }

Tensor causal_mask(int64_t rows, int64_t cols, int64_t k) {
  QKV_CHECK(rows >= 0 && cols >= 0, "causal_mask: sizes must be non-negative, got [{},{}]", rows, cols);
  Tensor m = Tensor::empty({rows, cols}, DType::i32);
  on_device(device_of("causal_mask", m), "causal_mask",
            [&](auto backend) { fill_causal_mask(backend, rows, cols, k, m.data<int32_t>()); });
  return m;
}

}  // namespace qkv
