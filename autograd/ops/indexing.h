// Gathers by integer index: embedding, index_select, gather, one_hot. The backward
// of each is a scatter-add, done so threads never write the same element. And the
// inverse of a row gather, scatter_rows, whose backward is a gather.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

// weight [V, D], ids int [...]: returns [..., D]. An id outside [0, V) is an error.
Tensor embedding(const Tensor& weight, const Tensor& ids);
// Entries of x at positions idx (int [K]) along dim.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& idx);
// out[i][j] = x[idx[i][j]][j] along dim (torch.gather); idx has x's rank.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& idx);
// y [N, ...] placed at rows idx (int [N], distinct, in [0, rows)) of a zero tensor
// [rows, ...]: out[idx[i]] = y[i]. index_select(out, 0, idx) gives y back.
Tensor scatter_rows(const Tensor& y, const Tensor& idx, int64_t rows);
// ids int [...] -> [..., n] with a 1 at each id (not differentiable).
Tensor one_hot(const Tensor& ids, int64_t n, DType dtype = DType::f32);

}  // namespace qkv
