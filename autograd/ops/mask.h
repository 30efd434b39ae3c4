// Selecting by a mask: where, masked_fill, and the triangular masks of attention.
// A mask is any tensor; non-zero means true. Masks broadcast like other operands.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

// cond ? a : b elementwise; the gradient goes to the side that was chosen.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x with `value` where mask is true (e.g. -inf for masked attention scores).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// x with the elements above (tril) / below (triu) diagonal k of the last two dims zeroed.
Tensor tril(const Tensor& x, int64_t k = 0);
Tensor triu(const Tensor& x, int64_t k = 0);
// [rows, cols] int32 mask, 1 where column j > row i + k: the causal "future" mask.
Tensor causal_mask(int64_t rows, int64_t cols, int64_t k = 0);

}  // namespace qkv
