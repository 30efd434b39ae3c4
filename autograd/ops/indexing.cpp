#include "autograd/ops/indexing.h"

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/dispatch.h"
#include "autograd/factory.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"
#include "cpu/kernels/take.h"

namespace qkv {
namespace {

// The indices as a contiguous int64 tensor, every one checked to lie in [0, size), e.g.
// "embedding: id 7 is out of range [0, 5) for weight float32[5,3]".
Tensor checked_indices(const Tensor& idx, int64_t size, const char* op, const char* kind,
                       const std::string& context) {
  QKV_CHECK(idx.defined() && !idx.is_floating_point(), "{}: expected int32 or int64 indices, got {}", op,
        idx.defined() ? describe(idx) : "an undefined tensor");
  Tensor i64 = contiguous(to_dtype(idx, DType::i64));
  const int64_t* p = i64.data<int64_t>();
  for (int64_t k = 0, n = i64.numel(); k < n; ++k)
    QKV_CHECK(p[k] >= 0 && p[k] < size, "{}: {} {} is out of range [0, {}) {}", op, kind, p[k], size, context);
  return i64;
}

// Element offsets (through `strides`) of every multi-index over shape[from, to), row-major.
std::vector<int64_t> offsets(const Dims& shape, const Dims& strides, int from, int to) {
  std::vector<int64_t> off{0};
  for (int d = from; d < to; ++d) {
    std::vector<int64_t> next;
    next.reserve(off.size() * shape[d]);
    for (int64_t base : off)
      for (int64_t i = 0; i < shape[d]; ++i) next.push_back(base + i * strides[d]);
    off = std::move(next);
  }
  return off;
}

// A "take along dim" seen as [outer, K, inner] (cpu/kernels/take.h): the offset arrays
// and the layout the kernels read. The layout points into the arrays, so a plan may be
// moved (the arrays keep their buffers) but never copied.
struct TakePlan {
  TakePlan() = default;
  TakePlan(TakePlan&&) = default;
  TakePlan(const TakePlan&) = delete;
  std::vector<int64_t> source_outer, source_inner;
  TakeLayout layout;
};

// `shape` is the output's shape (dim d has K entries); `strides` are the source's; `ids`
// the checked int64 indices, one per element (per_element) or one per position along d.
TakePlan plan_take(const Dims& shape, int d, const Dims& strides, const Tensor& ids, bool per_element) {
  TakePlan p;
  p.source_outer = offsets(shape, strides, 0, d);
  p.source_inner = offsets(shape, strides, d + 1, shape.size());
  TakeLayout& l = p.layout;
  l.source_outer = p.source_outer.data();
  l.source_inner = p.source_inner.data();
  l.outer = static_cast<int64_t>(p.source_outer.size());
  l.inner = static_cast<int64_t>(p.source_inner.size());
  l.K = shape[d];
  l.dim_stride = strides[d];
  l.inner_contiguous = true;
  for (int64_t c = 0; c < l.inner; ++c) l.inner_contiguous &= p.source_inner[c] == c;
  l.ids = ids.data<int64_t>();
  l.per_element = per_element;
  return p;
}

// The op shared by embedding, index_select and gather: out (shape out_shape) takes x's
// entries along dim d at the checked indices `ids` (one per element when per_element).
Tensor take_along(const Tensor& x, int d, const Tensor& ids, const Dims& out_shape, bool per_element,
                  const char* op) {
  check_floating(x, op);
  Tensor out = Tensor::empty(out_shape, x.dtype());
  const TakePlan p = plan_take(out_shape, d, x.strides(), ids, per_element);
  on_device(device_of(op, x, ids), op, [&](auto backend) {
    dispatch_float(x.dtype(), op, [&]<typename T>() { take(backend, x.data<T>(), out.data<T>(), p.layout); });
  });
  if (any_requires_grad(x))
    record(op, out, [x, ids, d, per_element, op](const Tensor& g) {
      // d out[o,k,c] / d x[o,j,c] = [index(o,k,c) == j]: scatter-add g into a zero gx.
      Tensor gx = zeros(x.shape(), g.dtype());
      Tensor gc = contiguous(g);
      const TakePlan q = plan_take(g.shape(), d, gx.strides(), ids, per_element);
      on_device(device_of(op, x, g), op, [&](auto backend) {
        dispatch_float(g.dtype(), op, [&]<typename T>() { put_add(backend, gx.data<T>(), gc.data<T>(), q.layout); });
      });
      accumulate_grad(x, gx, op);
    });
  return out;
}

}  // namespace

Tensor scatter_rows(const Tensor& y, const Tensor& idx, int64_t rows) {
  constexpr const char* op = "scatter_rows";
  QKV_CHECK(y.defined() && y.dim() >= 1, "{}: expected rows y [N, ...], got {}", op,
        y.defined() ? describe(y) : "an undefined tensor");
  check_floating(y, op);
  QKV_CHECK(idx.defined() && idx.dim() == 1 && idx.numel() == y.size(0), "{}: expected {} row indices for {}, got {}", op,
        y.size(0), describe(y), idx.defined() ? describe(idx) : "an undefined tensor");
  Tensor ids = checked_indices(idx, rows, op, "row", fmt::format("for {} rows", rows));
  const int64_t* at = ids.data<int64_t>();
  std::vector<int64_t> source_of(static_cast<size_t>(rows), -1);  // the row of y each output row takes
  for (int64_t i = 0; i < ids.numel(); ++i) {
    QKV_CHECK(source_of[at[i]] < 0, "{}: row {} appears twice in the index", op, at[i]);
    source_of[at[i]] = i;
  }
  Dims shape = y.shape();
  shape[0] = rows;
  Tensor out = Tensor::empty(shape, y.dtype());
  Tensor yc = contiguous(y);
  const int64_t width = y.numel() / std::max<int64_t>(y.size(0), 1);
  on_device(device_of(op, y, idx), op, [&](auto backend) {
    dispatch_float(y.dtype(), op, [&]<typename T>() {  // one pass: each output row copied or zeroed
      copy_rows(backend, yc.data<T>(), out.data<T>(), source_of.data(), rows, width);
    });
  });
  if (any_requires_grad(y))
    record(op, out, [y, ids, op](const Tensor& g) {
      // d out[idx[i]] / d y[i] = 1, every other row of out is a constant: gy = g[idx].
      accumulate_grad(y, index_select(g, 0, ids), op);
    });
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  QKV_CHECK(weight.defined() && weight.dim() == 2, "embedding: expected a weight [V, D], got {}",
        weight.defined() ? describe(weight) : "an undefined tensor");
  int64_t V = weight.size(0), D = weight.size(1);
  Tensor flat = checked_indices(ids, V, "embedding", "id", "for weight " + describe(weight));
  Dims out_shape = ids.shape();
  out_shape.push_back(D);
  // [N] ids pick rows of weight [V, D]: out [N, D], viewed back as [..., D].
  Tensor out = take_along(weight, 0, flat, {flat.numel(), D}, false, "embedding");
  return reshape(out, out_shape);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx) {
  QKV_CHECK(x.defined() && x.dim() > 0, "index_select: expected a tensor of rank >= 1, got {}",
        x.defined() ? describe(x) : "an undefined tensor");
  int d = wrap_dim(dim, x.dim(), "index_select");
  QKV_CHECK(idx.defined() && idx.dim() == 1, "index_select: expected a 1-D index, got {}",
        idx.defined() ? describe(idx) : "an undefined tensor");
  Tensor ids = checked_indices(idx, x.size(d), "index_select", "index", fmt::format("for dim {} of {}", d, describe(x)));
  Dims out_shape = x.shape();
  out_shape[d] = ids.numel();
  return take_along(x, d, ids, out_shape, false, "index_select");
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx) {
  QKV_CHECK(x.defined() && idx.defined() && idx.dim() == x.dim() && x.dim() > 0,
        "gather: index must have the rank of x: x {}, index {}", x.defined() ? describe(x) : "undefined",
        idx.defined() ? describe(idx) : "undefined");
  int d = wrap_dim(dim, x.dim(), "gather");
  for (int i = 0; i < x.dim(); ++i)
    QKV_CHECK(i == d || idx.size(i) <= x.size(i),
          "gather: index {} is larger than x {} in dim {} (only dim {} may differ)", idx.shape().str(),
          x.shape().str(), i, d);
  Tensor ids = checked_indices(idx, x.size(d), "gather", "index", fmt::format("for dim {} of {}", d, describe(x)));
  return take_along(x, d, ids, idx.shape(), true, "gather");
}

Tensor one_hot(const Tensor& ids, int64_t n, DType dtype) {
  QKV_CHECK(n > 0, "one_hot: number of classes must be positive, got {}", n);
  Tensor flat = checked_indices(ids, n, "one_hot", "id", fmt::format("for {} classes", n));
  Dims out_shape = ids.shape();
  out_shape.push_back(n);
  Tensor out = zeros(out_shape, dtype);
  const int64_t* pi = flat.data<int64_t>();
  dispatch_all(dtype, [&]<typename T>() {
    T* po = out.data<T>();
    for (int64_t k = 0, m = flat.numel(); k < m; ++k) po[k * n + pi[k]] = T(1);
  });
  return out;
}

}  // namespace qkv
