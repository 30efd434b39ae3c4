#include "autograd/ops/reduce.h"

#include <algorithm>

#include "autograd/dispatch.h"
#include "autograd/factory.h"
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "cpu/kernels/reduce.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// x seen as a contiguous [rows, len] matrix: kept dims first, reduced dims last.
struct ReducePlan {
  Dims out_shape;   // the result's shape (keepdim applied)
  Dims keep_shape;  // the result with reduced dims kept as 1: broadcasts back onto x
  Dims order;       // the permutation (kept dims, reduced dims)
  int64_t rows = 1, len = 1;
  bool leading = false;  // reduced dims are the leading ones and x is contiguous
};

ReducePlan plan_reduce(const Tensor& x, const Dims& dims, bool keepdim, const char* op) {
  int r = x.dim();
  bool reduced[kMaxDims] = {};
  for (int64_t d : dims) {
    int w = wrap_dim(d, r, op);
    QKV_CHECK(!reduced[w], "{}: dim {} given twice in {}", op, w, dims.str());
    reduced[w] = true;
  }
  if (dims.empty())
    for (int i = 0; i < r; ++i) reduced[i] = true;
  ReducePlan p;
  for (int i = 0; i < r; ++i) {
    if (!reduced[i]) {
      p.order.push_back(i);
      p.rows *= x.shape()[i];
    }
    p.keep_shape.push_back(reduced[i] ? 1 : x.shape()[i]);
    if (!reduced[i] || keepdim) p.out_shape.push_back(p.keep_shape.back());
  }
  for (int i = 0; i < r; ++i)
    if (reduced[i]) {
      p.order.push_back(i);
      p.len *= x.shape()[i];
    }
  int first_kept = r;
  for (int i = 0; i < r; ++i)
    if (!reduced[i]) { first_kept = i; break; }
  bool leading = x.is_contiguous();
  for (int i = first_kept; i < r; ++i) leading &= !reduced[i];
  p.leading = leading && first_kept > 0 && first_kept < r;
  return p;
}

// x's elements in plan order as a contiguous buffer (a view when already laid out so).
Tensor reduce_matrix(const Tensor& x, const ReducePlan& p) {
  Dims shape, strides;
  for (int64_t d : p.order) {
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  Tensor v = as_strided(x, shape, strides, x.offset());
  if (v.is_contiguous()) return v;
  Tensor c = Tensor::empty(shape, x.dtype());
  copy_(c, v);
  return c;
}

// The gradient of a reduction's output spread back over x's shape (a broadcast view).
Tensor expand_back(const Tensor& g, const ReducePlan& p, const Dims& x_shape) {
  return expand(reshape(g, p.keep_shape), x_shape);
}

Tensor sum_scaled(const Tensor& x, const Dims& dims, bool keepdim, const char* op, bool average) {
  check_floating(x, op);
  ReducePlan p = plan_reduce(x, dims, keepdim, op);
  double scale = average ? 1.0 / static_cast<double>(std::max<int64_t>(p.len, 1)) : 1.0;
  Tensor out = Tensor::empty(p.out_shape, x.dtype());
  on_device(device_of(op, x), op, [&](auto backend) {
    dispatch_float(x.dtype(), op, [&]<typename T>() {
      if (p.leading) {
        sum_columns(backend, x.data<T>(), out.data<T>(), p.len, p.rows, scale);
      } else {
        Tensor m = reduce_matrix(x, p);
        sum_rows(backend, m.data<T>(), out.data<T>(), p.rows, p.len, scale);
      }
    });
  });
  if (any_requires_grad(x)) {
    Dims x_shape = x.shape();
    record(op, out, [x, p, x_shape, scale, op](const Tensor& g) {
      Tensor gx = expand_back(g, p, x_shape);
      accumulate_grad(x, scale == 1.0 ? gx : unary_map(gx, op, [scale](auto v) {
        return v * static_cast<decltype(v)>(scale);
      }), op);
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim) { return sum_scaled(x, dims, keepdim, "sum", false); }
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) { return sum_scaled(x, dims, keepdim, "mean", true); }

Tensor var(const Tensor& x, const Dims& dims, int64_t correction, bool keepdim) {
  check_floating(x, "var");
  ReducePlan p = plan_reduce(x, dims, keepdim, "var");
  QKV_CHECK(p.len - correction > 0, "var: {} elements per group with correction {} leaves no degrees of freedom",
        p.len, correction);
  double denom = static_cast<double>(p.len - correction);
  Tensor out = Tensor::empty(p.out_shape, x.dtype());
  Tensor mu = Tensor::empty(p.keep_shape, x.dtype());  // saved for backward
  on_device(device_of("var", x), "var", [&](auto backend) {
    dispatch_float(x.dtype(), "var", [&]<typename T>() {
      Tensor m = reduce_matrix(x, p);
      var_rows(backend, m.data<T>(), out.data<T>(), mu.data<T>(), p.rows, p.len, denom);
    });
  });
  if (any_requires_grad(x)) {
    Dims x_shape = x.shape();
    record("var", out, [x, mu, p, x_shape, denom](const Tensor& g) {
      // d var / d x_i = 2 (x_i - mean) / (N - correction)
      Tensor gx = ternary_map(x, mu, reshape(g, p.keep_shape), "var", [denom](auto xv, auto m, auto gv) {
        using T = decltype(xv);
        return gv * T(2) * (xv - m) / static_cast<T>(denom);
      });
      accumulate_grad(x, gx, "var");
    });
  }
  return out;
}

std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  check_floating(x, "max");
  int d = wrap_dim(dim, x.dim(), "max");
  QKV_CHECK(x.dim() == 0 || x.shape()[d] > 0, "max: cannot reduce an empty dim of {}", describe(x));
  ReducePlan p = plan_reduce(x, {d}, keepdim, "max");
  Tensor values = Tensor::empty(p.out_shape, x.dtype());
  Tensor indices = Tensor::empty(p.out_shape, DType::i64);
  on_device(device_of("max", x), "max", [&](auto backend) {
    dispatch_float(x.dtype(), "max", [&]<typename T>() {
      Tensor m = reduce_matrix(x, p);
      max_rows(backend, m.data<T>(), values.data<T>(), indices.data<int64_t>(), p.rows, p.len);
    });
  });
  if (any_requires_grad(x)) {
    record("max", values, [x, indices, p](const Tensor& g) {
      // Scatter g into the winning positions of a [rows, len] buffer in plan order,
      // then view it back in x's dim order.
      Tensor gm = zeros({p.rows * p.len}, g.dtype());
      Tensor gc = contiguous(g);
      on_device(device_of("max", x, g), "max", [&](auto backend) {
        dispatch_float(g.dtype(), "max", [&]<typename T>() {
          max_rows_backward(backend, gc.data<T>(), indices.data<int64_t>(), gm.data<T>(), p.rows, p.len);
        });
      });
      Dims permuted_shape, inverse;
      inverse.resize(p.order.size());
      for (int i = 0; i < p.order.size(); ++i) {
        permuted_shape.push_back(x.shape()[p.order[i]]);
        inverse[p.order[i]] = i;
      }
      accumulate_grad(x, permute(reshape(gm, permuted_shape), inverse), "max");
    });
  }
  return {values, indices};
}


}  // namespace qkv
