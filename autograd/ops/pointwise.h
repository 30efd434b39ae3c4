// One elementwise op as a pair of formulas: y = forward(x), and dy/dx = derivative(x, y).
// The backward computes dx = g * derivative(x, y) in one pass. Both lambdas are generic
// (called with float or double); the derivative may read x, y or both, whichever is cheaper.
// Used by the unary math ops and the activations.
#pragma once
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"

namespace qkv {

template <typename Forward, typename Derivative>
Tensor pointwise(const char* op, const Tensor& x, Forward forward, Derivative derivative) {
  Tensor y = unary_map(x, op, forward);
  if (any_requires_grad(x))
    record(op, y, [op, x, y, derivative](const Tensor& g) {
      accumulate_grad(x, ternary_map(g, x, y, op, [&](auto gv, auto xv, auto yv) {
        return gv * derivative(xv, yv);
      }), op);
    });
  return y;
}

}  // namespace qkv
