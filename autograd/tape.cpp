#include "autograd/tape.h"

#include "autograd/loops.h"
#include "autograd/ops/reduce.h"
#include "autograd/views.h"

namespace qkv {

namespace {
thread_local Tape t_tape;
thread_local bool t_grad_enabled = true;
}  // namespace

Tape& tape() { return t_tape; }
bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool on) { t_grad_enabled = on; }

void Tape::clear() {
  entries_.clear();
  ++generation_;
}

bool any_requires_grad(const std::vector<Tensor>& ts) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : ts)
    if (t.requires_grad()) return true;
  return false;
}

void record(const char* op, Tensor& out, BackwardFn backward) {
  Tape& t = tape();
  TensorImpl* impl = out.impl();
  impl->requires_grad = true;
  impl->tape_index = t.size();
  impl->tape_generation = t.generation();
  t.push({op, out, std::move(backward), profile::charge_forward(op)});
}

void accumulate_grad(const Tensor& input, const Tensor& g_in, const char* op) {
  if (!input.requires_grad() || !g_in.defined()) return;
  check(g_in.dtype() == input.dtype(), "{}: gradient {} has a different dtype from input {}", op,
        describe(g_in), describe(input));
  TensorImpl* impl = input.impl();
  // A non-leaf from an earlier, already replayed tape has no history left to pass its
  // gradient on through: silently keeping it would drop the gradient of its inputs.
  check(input.is_leaf() || impl->tape_generation == tape().generation(),
        "{}: input {} was computed before an earlier backward() cleared the tape, so its gradient "
        "cannot reach what it was computed from; recompute it, or detach() it to use it as a constant",
        op, describe(input));
  Tensor g = g_in.shape() == input.shape() ? g_in : sum_to(g_in, input.shape(), op);
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
    dispatch_float(cur.dtype(), op, [&]<typename T>() {
      elementwise_strided(cur.data<T>(), cur.strides(), cur.shape(), [](T a, T b) { return a + b; },
                          operand<T>(cur, cur.shape(), op), operand<T>(g, cur.shape(), op));
    });
  } else {
    impl->grad = binary_map(cur, g, op, [](auto a, auto b) { return a + b; }).impl_ptr();
    impl->grad_owned = true;
  }
}

}  // namespace qkv
