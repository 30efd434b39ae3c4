// Inverted dropout: zero each element with probability p and scale the rest by
// 1/(1-p) in training; identity in evaluation. The mask comes from the generator.
#pragma once
#include "base/generator.h"
#include "autograd/tensor.h"

namespace qkv {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);

}  // namespace qkv
