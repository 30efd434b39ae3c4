#include "nn/row_subset.h"

#include <algorithm>

#include "autograd/autograd.h"

namespace qkv::nn {

RowSubset row_subset(const std::vector<bool>& keep, int64_t at_least) {
  const int64_t total = static_cast<int64_t>(keep.size());
  int64_t n = std::count(keep.begin(), keep.end(), true);
  if (n == 0) return {};
  const int64_t bucket = std::max<int64_t>(1, total / 8);
  const int64_t target = (std::max(n, at_least) + bucket - 1) / bucket * bucket;
  int64_t extra = target - n;  // dropped rows kept to reach the target size
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < total; ++i)
    if (keep[i] || (extra > 0 && extra--)) kept.push_back(i);
  n = static_cast<int64_t>(kept.size());
  if (n >= total) return {};
  return {Tensor::from(kept, {n}), total};
}

namespace {
bool all_rows(const RowSubset* rows) { return !rows || !rows->kept.defined(); }
}  // namespace

Tensor take_rows(const Tensor& x, const RowSubset* rows) {
  if (all_rows(rows)) return x;
  const int64_t d = x.size(-1);
  QKV_CHECK(x.numel() == rows->total * d, "row subset: {} does not have the {} rows the subset was made for", describe(x),
        rows->total);
  return index_select(x.reshape({rows->total, d}), 0, rows->kept);
}

Tensor put_rows(const Tensor& y, const RowSubset* rows, const Tensor& like) {
  if (all_rows(rows)) return y;
  Dims shape = like.shape();
  shape[shape.size() - 1] = y.size(-1);
  return scatter_rows(y, rows->kept, rows->total).reshape(shape);
}

Tensor on_rows(const Tensor& x, const RowSubset* rows, const std::function<Tensor(const Tensor&)>& f) {
  return put_rows(f(take_rows(x, rows)), rows, x);
}

}  // namespace qkv::nn
