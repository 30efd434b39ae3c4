#include "autograd/ops/accumulate.h"

#include "autograd/loops.h"
#include "autograd/ops/reduce.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {

namespace {
// input.grad += g (g already has input's shape).
void add_to_grad(const Tensor& input, const Tensor& g, const char* op);
}  // namespace

void accumulate_grad(const Tensor& input, const Tensor& g_in, const char* op) {
  if (!input.requires_grad() || !g_in.defined()) return;
  QKV_CHECK(g_in.dtype() == input.dtype(), "{}: gradient {} has a different dtype from input {}", op,
        describe(g_in), describe(input));
  TensorImpl* impl = input.impl();
  // A non-leaf from an earlier, already replayed tape has no history left to pass its
  // gradient on through: silently keeping it would drop the gradient of its inputs.
  QKV_CHECK(input.is_leaf() || impl->tape_generation == tape().generation(),
        "{}: input {} was computed before an earlier backward() cleared the tape, so its gradient "
        "cannot reach what it was computed from; recompute it, or detach() it to use it as a constant",
        op, describe(input));
  add_to_grad(input, g_in.shape() == input.shape() ? g_in : sum_to(g_in, input.shape(), op), op);
  if (input.is_leaf())
    if (BackwardObserver* o = backward_observer()) o->leaf_gradient(impl);
}

namespace {

void add_to_grad(const Tensor& input, const Tensor& g, const char* op) {
  TensorImpl* impl = input.impl();
  if (!impl->grad) {
    // A leaf keeps its gradient across steps and optimizers scale it in place, so it
    // gets storage of its own; an intermediate's gradient may alias the incoming one.
    if (input.is_leaf()) {
      impl->grad = clone(g).impl_ptr();
      impl->grad_owned = true;
    } else {
      impl->grad = g.impl_ptr();
      impl->grad_owned = false;
    }
    return;
  }
  Tensor cur(impl->grad);
  if (impl->grad_owned) {
    on_device(device_of(op, cur, g), op, [&](auto backend) {
      dispatch_float(cur.dtype(), op, [&]<typename T>() {
        elementwise_strided(backend, cur.data<T>(), cur.strides(), cur.shape(), [](T a, T b) { return a + b; },
                            operand<T>(cur, cur.shape(), op), operand<T>(g, cur.shape(), op));
      });
    });
  } else {
    impl->grad = binary_map(cur, g, op, [](auto a, auto b) { return a + b; }).impl_ptr();
    impl->grad_owned = true;
  }
}

}  // namespace

Tensor sum_to(const Tensor& g, const Dims& shape, const char* op) {
  if (g.shape() == shape) return g;
  int lead = g.dim() - shape.size();
  QKV_CHECK(lead >= 0, "{}: gradient {} cannot be reduced to shape {}", op, g.shape().str(), shape.str());
  Dims dims;
  for (int i = 0; i < lead; ++i) dims.push_back(i);
  for (int i = 0; i < shape.size(); ++i) {
    int64_t have = g.shape()[lead + i];
    if (shape[i] == have) continue;
    QKV_CHECK(shape[i] == 1, "{}: gradient {} cannot be reduced to shape {}", op, g.shape().str(), shape.str());
    dims.push_back(lead + i);
  }
  return reshape(sum(g, dims, true), shape);
}

}  // namespace qkv
