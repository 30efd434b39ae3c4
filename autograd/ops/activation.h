// Activation functions: relu, gelu (erf form and tanh approximation), silu.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

enum class GeluApprox { none, tanh };  // torch.nn.functional.gelu(approximate=...)

Tensor relu(const Tensor& x);  // gradient 0 at 0 (as PyTorch)
Tensor gelu(const Tensor& x, GeluApprox approx = GeluApprox::none);
// grad * gelu'(x), the gelu backward alone (not recorded): for ops that recompute gelu
// in their own backward instead of keeping its output.
Tensor gelu_backward(const Tensor& x, const Tensor& grad, GeluApprox approx = GeluApprox::none);
Tensor silu(const Tensor& x);  // x * sigmoid(x)

}  // namespace qkv
