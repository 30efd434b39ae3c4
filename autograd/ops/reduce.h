// Reductions: sum, mean, max (with indices), var over any dims, keepdim as in PyTorch.
// An empty dims list means every dim.
#pragma once
#include <utility>

#include "autograd/tensor.h"

namespace qkv {

Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
// Variance with Bessel's correction by default (correction = 1), like torch.var.
Tensor var(const Tensor& x, const Dims& dims = {}, int64_t correction = 1, bool keepdim = false);
// Largest value along one dim and its index (int64); ties pick the first index.
// The gradient flows to that index only.
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace qkv
