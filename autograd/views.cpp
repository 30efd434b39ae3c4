#include "autograd/views.h"

#include <numeric>
#include <optional>

#include "autograd/factory.h"
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"

namespace qkv {
namespace {

// Resolves one -1 entry and checks the element count.
Dims infer_shape(const Dims& x_shape, Dims shape, const char* op) {
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      QKV_CHECK(infer < 0, "{}: only one dimension can be -1, got {}", op, shape.str());
      infer = i;
    } else {
      QKV_CHECK(shape[i] >= 0, "{}: invalid size in {}", op, shape.str());
      known *= shape[i];
    }
  }
  int64_t numel = x_shape.numel();
  if (infer >= 0) {
    QKV_CHECK(known > 0 && numel % known == 0, "{}: shape {} is invalid for input of shape {}", op,
          shape.str(), x_shape.str());
    shape[infer] = numel / known;
  }
  QKV_CHECK(shape.numel() == numel, "{}: shape {} is invalid for input of shape {}", op, shape.str(),
        x_shape.str());
  return shape;
}

// Strides that let `shape` view memory laid out as (old_shape, old_strides), if any
// (the algorithm of PyTorch's computeStride: dims are merged in contiguous chunks).
std::optional<Dims> view_strides(const Dims& old_shape, const Dims& old_strides, const Dims& shape) {
  Dims strides;
  strides.resize(shape.size());
  if (old_shape.numel() == 0 || old_shape.size() == 0) return contiguous_strides(shape);
  int view_d = shape.size() - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int d = old_shape.size() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

// A view of x with the given geometry whose gradient flows back through `backward`.
Tensor make_view(const Tensor& x, const char* op, const Dims& shape, const Dims& strides,
                 int64_t offset, BackwardFn backward) {
  Tensor out = as_strided(x, shape, strides, offset);
  if (any_requires_grad(x)) record(op, out, std::move(backward));
  return out;
}

}  // namespace

Tensor as_strided(const Tensor& x, const Dims& shape, const Dims& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = x.dtype();
  return Tensor(std::move(impl));
}

Tensor view(const Tensor& x, const Dims& shape_in) {
  Dims shape = infer_shape(x.shape(), shape_in, "view");
  auto strides = view_strides(x.shape(), x.strides(), shape);
  QKV_CHECK(strides.has_value(), "view: shape {} cannot view a tensor of shape {} with strides {}; use reshape",
        shape.str(), x.shape().str(), x.strides().str());
  Dims in_shape = x.shape();
  return make_view(x, "view", shape, *strides, x.offset(),
                   [x, in_shape](const Tensor& g) { accumulate_grad(x, reshape(g, in_shape), "view"); });
}

Tensor reshape(const Tensor& x, const Dims& shape_in) {
  Dims shape = infer_shape(x.shape(), shape_in, "reshape");
  if (auto strides = view_strides(x.shape(), x.strides(), shape)) {
    Dims in_shape = x.shape();
    return make_view(x, "reshape", shape, *strides, x.offset(), [x, in_shape](const Tensor& g) {
      accumulate_grad(x, reshape(g, in_shape), "reshape");
    });
  }
  return view(clone(x), shape);
}

Tensor permute(const Tensor& x, const Dims& order) {
  int r = x.dim();
  QKV_CHECK(order.size() == r, "permute: order {} does not match a tensor of rank {}", order.str(), r);
  Dims shape, strides, inverse;
  inverse.resize(r, -1);
  for (int i = 0; i < r; ++i) {
    int d = wrap_dim(order[i], r, "permute");
    QKV_CHECK(inverse[d] < 0, "permute: order {} repeats dim {}", order.str(), d);
    inverse[d] = i;
    shape.push_back(x.shape()[d]);
    strides.push_back(x.strides()[d]);
  }
  return make_view(x, "permute", shape, strides, x.offset(),
                   [x, inverse](const Tensor& g) { accumulate_grad(x, permute(g, inverse), "permute"); });
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  Dims order;
  for (int i = 0; i < x.dim(); ++i) order.push_back(i);
  std::swap(order[wrap_dim(d0, x.dim(), "transpose")], order[wrap_dim(d1, x.dim(), "transpose")]);
  return permute(x, order);
}

Tensor slice(const Tensor& x, int64_t dim_in, int64_t start, int64_t end, int64_t step) {
  int d = wrap_dim(dim_in, x.dim(), "slice");
  QKV_CHECK(step > 0, "slice: step must be positive, got {}", step);
  int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Dims shape = x.shape(), strides = x.strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  int64_t offset = x.offset() + start * x.strides()[d];
  return make_view(x, "slice", shape, strides, offset, [x, d, start, end, step](const Tensor& g) {
    // Only the sliced region receives gradient; write it into a zero tensor of x's shape.
    Tensor gx = zeros(x.shape(), g.dtype());
    copy_(slice(gx, d, start, end, step), g);
    accumulate_grad(x, gx, "slice");
  });
}

std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim) {
  int d = wrap_dim(dim, x.dim(), "split");
  QKV_CHECK(size > 0, "split: size must be positive, got {}", size);
  std::vector<Tensor> parts;
  for (int64_t s = 0; s < x.shape()[d]; s += size) parts.push_back(slice(x, d, s, s + size));
  return parts;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  QKV_CHECK(chunks > 0, "chunk: chunks must be positive, got {}", chunks);
  int64_t n = x.shape()[wrap_dim(dim, x.dim(), "chunk")];
  return split(x, std::max<int64_t>(1, (n + chunks - 1) / chunks), dim);
}

Tensor expand(const Tensor& x, const Dims& shape_in) {
  int r = shape_in.size(), lead = r - x.dim();
  QKV_CHECK(lead >= 0, "expand: cannot expand {} to fewer dims {}", x.shape().str(), shape_in.str());
  Dims shape, strides;
  for (int i = 0; i < r; ++i) {
    int64_t want = shape_in[i];
    if (i < lead) {
      QKV_CHECK(want >= 0, "expand: size -1 not allowed in new leading dims: {}", shape_in.str());
      shape.push_back(want);
      strides.push_back(0);
      continue;
    }
    int64_t have = x.shape()[i - lead];
    if (want == -1) want = have;
    QKV_CHECK(have == want || have == 1, "expand: cannot expand {} to {}", x.shape().str(), shape_in.str());
    shape.push_back(want);
    strides.push_back(have == want ? x.strides()[i - lead] : 0);
  }
  // accumulate_grad sums the gradient over the broadcast dims.
  return make_view(x, "expand", shape, strides, x.offset(),
                   [x](const Tensor& g) { accumulate_grad(x, g, "expand"); });
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Dims shape = x.shape();
  shape.insert(d, 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  int d = wrap_dim(dim, x.dim(), "squeeze");
  if (x.shape()[d] != 1) return x;
  Dims shape = x.shape();
  shape.erase(d);
  return reshape(x, shape);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int s = wrap_dim(start_dim, x.dim(), "flatten"), e = wrap_dim(end_dim, x.dim(), "flatten");
  QKV_CHECK(s <= e, "flatten: start_dim {} is after end_dim {}", start_dim, end_dim);
  Dims shape;
  for (int i = 0; i < s; ++i) shape.push_back(x.shape()[i]);
  int64_t n = 1;
  for (int i = s; i <= e; ++i) n *= x.shape()[i];
  shape.push_back(n);
  for (int i = e + 1; i < x.dim(); ++i) shape.push_back(x.shape()[i]);
  return reshape(x, shape);
}

void copy_(const Tensor& dst, const Tensor& src) {
  on_device(device_of("copy_", dst, src), "copy_", [&](auto backend) {
    dispatch_all(dst.dtype(), [&]<typename TD>() {
      dispatch_all(src.dtype(), [&]<typename TS>() {
        elementwise_strided(backend, dst.data<TD>(), dst.strides(), dst.shape(),
                            [](TS v) { return static_cast<TD>(v); }, operand<TS>(src, dst.shape(), "copy_"));
      });
    });
  });
}

Tensor clone(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  copy_(out, x);
  if (any_requires_grad(x)) record("clone", out, [x](const Tensor& g) { accumulate_grad(x, g, "clone"); });
  return out;
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype);
  copy_(out, x);
  if (is_floating(dtype) && any_requires_grad(x)) {
    DType from = x.dtype();
    record("to", out, [x, from](const Tensor& g) { accumulate_grad(x, to_dtype(g, from), "to"); });
  }
  return out;
}

}  // namespace qkv
