#include "autograd/ops/mlp.h"

#include "autograd/ops/matmul.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {

Tensor gelu_mlp(const Tensor& x, const Tensor& w1, const Tensor& b1, const Tensor& w2, const Tensor& b2,
                GeluApprox approx) {
  constexpr const char* op = "gelu_mlp";
  Tensor h, y;
  {
    NoGradGuard no_grad;  // one tape entry for the whole MLP, below
    h = linear(x, w1, b1);
    y = linear(gelu(h, approx), w2, b2);  // gelu(h) is freed here, not kept
  }
  if (any_requires_grad(x, w1, b1, w2, b2))
    record(op, y, [x, w1, b1, w2, b2, h, approx, op](const Tensor& g) {
      // Rows of every [..., n] tensor as one [N, n] matrix (views when contiguous).
      auto rows = [](const Tensor& t) { return t.reshape({-1, t.size(-1)}); };
      const Tensor g2 = rows(g), h2 = rows(h), x2 = rows(x);
      const Tensor a2 = gelu(h2, approx);  // recomputed
      if (w2.requires_grad()) accumulate_grad(w2, matmul(g2.transpose(0, 1), a2), op);
      if (b2.defined() && b2.requires_grad()) accumulate_grad(b2, sum(g2, {0}), op);
      const Tensor dh = gelu_backward(h2, matmul(g2, w2), approx);
      if (w1.requires_grad()) accumulate_grad(w1, matmul(dh.transpose(0, 1), x2), op);
      if (b1.defined() && b1.requires_grad()) accumulate_grad(b1, sum(dh, {0}), op);
      if (x.requires_grad()) accumulate_grad(x, matmul(dh, w1).reshape(x.shape()), op);
    });
  return y;
}

}  // namespace qkv
