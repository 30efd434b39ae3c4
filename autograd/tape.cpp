#include "autograd/tape.h"


namespace qkv {

namespace {
thread_local Tape t_tape;
thread_local bool t_grad_enabled = true;
thread_local BackwardObserver* t_observer = nullptr;
}  // namespace

Tape& tape() { return t_tape; }
bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool on) { t_grad_enabled = on; }

void set_backward_observer(BackwardObserver* observer) { t_observer = observer; }
BackwardObserver* backward_observer() { return t_observer; }

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


}  // namespace qkv
