// Views share storage with their base and are differentiable: their backward maps
// the gradient back onto the base's shape. Also the copies (contiguous, clone, to).
#pragma once
#include <vector>

#include "autograd/tensor.h"

namespace qkv {

// Same elements in a new shape; a view when the strides allow it, else a copy
// (PyTorch's reshape). One entry may be -1 (inferred).
Tensor reshape(const Tensor& x, const Dims& shape);
// Like reshape but never copies: an error when the strides do not allow a view.
Tensor view(const Tensor& x, const Dims& shape);
Tensor permute(const Tensor& x, const Dims& order);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
// Elements start, start+step, ... < end along dim (end is clamped; negatives count from the end).
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Pieces of `size` along dim (the last may be shorter), like torch.split.
std::vector<Tensor> split(const Tensor& x, int64_t size, int64_t dim);
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim);
// Broadcasts size-1 dims (stride 0) and prepends new dims; -1 keeps a size.
Tensor expand(const Tensor& x, const Dims& shape);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);

Tensor contiguous(const Tensor& x);
Tensor clone(const Tensor& x);
Tensor to_dtype(const Tensor& x, DType dtype);

// dst[...] = src (broadcast to dst's shape, converting dtype); dst may be any view.
// Not recorded on the tape: for kernels, optimizers and backward functions.
void copy_(const Tensor& dst, const Tensor& src);

// A tensor sharing x's storage with the given geometry; no autograd (a building block).
Tensor as_strided(const Tensor& x, const Dims& shape, const Dims& strides, int64_t offset);

}  // namespace qkv
