#include "autograd/ops/blas_layout.h"

#include <algorithm>
#include <climits>

#include "autograd/views.h"

namespace qkv {

std::optional<BlasLayout> blas_layout(const Tensor& x) {
  const int64_t rows = x.size(-2), cols = x.size(-1), rs = x.stride(-2), cs = x.stride(-1);
  // A size-1 (or empty) dim never moves the pointer, so its stride is free; BLAS still
  // wants ld >= max(1, length of a stored row).
  std::optional<BlasLayout> l;
  if ((cs == 1 || cols <= 1) && (rows <= 1 || rs >= std::max<int64_t>(cols, 1)))
    l = BlasLayout{CblasNoTrans, rows <= 1 ? std::max<int64_t>(cols, 1) : rs};
  else if ((rs == 1 || rows <= 1) && (cols <= 1 || cs >= std::max<int64_t>(rows, 1)))
    l = BlasLayout{CblasTrans, cols <= 1 ? std::max<int64_t>(rows, 1) : cs};
  if (l && l->ld > INT_MAX) return std::nullopt;
  return l;
}

Tensor blas_ready(const Tensor& x) {
  if (blas_layout(x)) return x;
  Tensor c = Tensor::empty(x.shape(), x.dtype());
  copy_(c, x);
  return c;
}

}  // namespace qkv
