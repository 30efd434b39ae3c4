// softmax and log_softmax over one dim, numerically stable (max subtracted).
#pragma once
#include "autograd/tensor.h"

namespace qkv {

Tensor softmax(const Tensor& x, int64_t dim = -1);
Tensor log_softmax(const Tensor& x, int64_t dim = -1);

}  // namespace qkv
