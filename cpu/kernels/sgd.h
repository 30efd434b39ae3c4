// One SGD step over n contiguous elements of a parameter, in torch's order:
//   d = g (+ decay * p);  buf = first ? d : buf * momentum + keep * d;
//   d = nesterov ? d + momentum * buf : buf;  p += neg_lr * d
// each element on its own (results do not depend on the thread count). T is float or double.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv {

// The per-element constants of one step, in the parameter's type; backend-neutral.
template <typename T>
struct SgdStep {
  T decay, momentum, keep, neg_lr;  // keep = 1 - dampening
  bool first;     // the momentum buffer's first step: it starts as the gradient
  bool nesterov;  // torch's nesterov=True: step along d + momentum * buf
};

}  // namespace qkv

namespace qkv::cpu {

// momentum_buffer is null when there is no momentum; with_decay: weight decay is not 0.
template <typename T>
void sgd_update(Backend, int64_t n, bool with_decay, const SgdStep<T>& step, T* param, T* momentum_buffer,
                const T* grad);

}  // namespace qkv::cpu
