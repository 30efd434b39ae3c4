// The GELU MLP as one op: y = gelu(x W1^T + b1) W2^T + b2. Composed from linear and gelu
// the tape would keep both the hidden pre-activation h and gelu(h) (two [.., hidden]
// tensors, 4x the model width); this op keeps only h and recomputes gelu(h) in the
// backward, which costs one cheap elementwise pass and saves a quarter of a GPT's
// activation memory.
#pragma once
#include "autograd/ops/activation.h"
#include "autograd/tensor.h"

namespace qkv {

// x [..., d], w1 [hidden, d], b1 [hidden] or undefined, w2 [out, hidden], b2 [out] or
// undefined -> [..., out].
Tensor gelu_mlp(const Tensor& x, const Tensor& w1, const Tensor& b1, const Tensor& w2, const Tensor& b2,
                GeluApprox approx = GeluApprox::none);

}  // namespace qkv
