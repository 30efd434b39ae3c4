// How a backward hands its gradients on: accumulate_grad adds into an input's .grad,
// first undoing broadcasting (sum_to). Every op's backward ends here; the tape itself
// only records and replays (autograd/tape.h), so it needs no op.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

// Adds g into input's gradient (no-op when input does not require grad). Sums over
// broadcast dimensions first, so ops may hand back a gradient of the output's shape.
// Throws naming `op` when the shapes cannot be reconciled.
void accumulate_grad(const Tensor& input, const Tensor& g, const char* op);

// Sums g over the dims that were broadcast to turn `shape` into g's shape (the reverse
// of broadcasting, used by every backward). Throws naming `op` if g cannot come from shape.
Tensor sum_to(const Tensor& g, const Dims& shape, const char* op = "sum_to");

}  // namespace qkv
