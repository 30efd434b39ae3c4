// Joining tensors: concat along an existing dim, stack along a new one.
// (Splitting is a view: see split and chunk in views.h.)
#pragma once
#include <vector>

#include "autograd/tensor.h"

namespace qkv {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);

}  // namespace qkv
