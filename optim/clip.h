// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_ (PyTorch 1.13).
#pragma once
#include <vector>

#include "autograd/tensor.h"

namespace qkv::optim {

// The L2 norm of all the gradients of params together (parameters without a gradient are
// skipped), accumulated in double over fixed-size blocks summed in order: the same value
// for any thread count.
double grad_norm(const std::vector<Tensor>& params);

// Scales every gradient in place by max_norm / (norm + 1e-6) when that is below 1, and
// returns the norm from before. The norm is inf or NaN when a gradient holds one: the
// caller checks it. With max_norm 0 nothing is scaled (the norm is still returned); a
// negative, NaN or inf max_norm is an error.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace qkv::optim
