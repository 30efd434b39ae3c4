#include "autograd/ops/join.h"

#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// Every tensor must have xs[0]'s dtype and shape, except along `free_dim` (-1: none).
void check_joinable(const std::vector<Tensor>& xs, int free_dim, const char* op) {
  QKV_CHECK(!xs.empty(), "{}: expected at least one tensor", op);
  const Tensor& first = xs[0];
  for (size_t i = 0; i < xs.size(); ++i) {
    QKV_CHECK(xs[i].defined(), "{}: tensor {} is undefined", op, i);
    QKV_CHECK(xs[i].dtype() == first.dtype(), "{}: tensor {} is {} but tensor 0 is {}; dtypes must match", op, i,
          describe(xs[i]), describe(first));
    bool same = xs[i].dim() == first.dim();
    for (int d = 0; same && d < first.dim(); ++d) same = d == free_dim || xs[i].size(d) == first.size(d);
    if (free_dim < 0)
      QKV_CHECK(same, "{}: tensor {} has shape {} but tensor 0 has shape {}; shapes must be equal", op, i,
            xs[i].shape().str(), first.shape().str());
    else
      QKV_CHECK(same, "{}: tensor {} has shape {} but tensor 0 has shape {}; shapes must match except in dim {}", op,
            i, xs[i].shape().str(), first.shape().str(), free_dim);
  }
}

}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  QKV_CHECK(!xs.empty() && xs[0].defined(), "concat: expected at least one tensor");
  QKV_CHECK(xs[0].dim() > 0, "concat: cannot concatenate 0-d tensors ({}); use stack", describe(xs[0]));
  int d = wrap_dim(dim, xs[0].dim(), "concat");
  check_joinable(xs, d, "concat");
  Dims shape = xs[0].shape();
  shape[d] = 0;
  for (const Tensor& x : xs) shape[d] += x.size(d);
  // Each input is copied into its slice of the output: out[..., start_i : start_i + n_i, ...] = xs[i].
  Tensor out = Tensor::empty(shape, xs[0].dtype());
  int64_t start = 0;
  for (const Tensor& x : xs) {
    copy_(slice(out, d, start, start + x.size(d)), x);
    start += x.size(d);
  }
  if (any_requires_grad(xs))
    record("concat", out, [xs, d](const Tensor& g) {
      // d out / d xs[i] is the identity on xs[i]'s slice: each input gets its slice of g (a view).
      int64_t start = 0;
      for (const Tensor& x : xs) {
        accumulate_grad(x, slice(g, d, start, start + x.size(d)), "concat");
        start += x.size(d);
      }
    });
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  check_joinable(xs, -1, "stack");
  // stack = concat of the inputs, each with a new size-1 dim at `dim` (its backward is concat's).
  int d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(xs.size());
  for (const Tensor& x : xs) parts.push_back(unsqueeze(x, d));
  return concat(parts, d);
}

}  // namespace qkv
