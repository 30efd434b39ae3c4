// One Adam / AdamW step over n contiguous elements of a parameter, in torch's order of
// operations (mul_, add_, addcmul_, addcdiv_), each element on its own (results do not
// depend on the thread count):
//   decoupled (AdamW): p *= shrink;   L2 (Adam with weight decay): g += l2 * p
//   m = m * b1 + (1 - b1) * g;  v = v * b2 + (1 - b2) * g * g
//   p += neg_step * m / (sqrt(v) / bc2 + eps)
// T is float or double; the constants are formed in double by the optimizer, rounded to T.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv {

// The per-element constants of one step, in the parameter's type; backend-neutral.
template <typename T>
struct AdamStep {
  T l2, shrink, b1, one_minus_b1, b2, one_minus_b2, bc2, eps, neg_step;
};

enum class AdamDecay { none, l2, decoupled };

}  // namespace qkv

namespace qkv::cpu {

template <typename T>
void adam_update(Backend, int64_t n, AdamDecay decay, const AdamStep<T>& step, T* param, T* exp_avg, T* exp_avg_sq,
                 const T* grad);

}  // namespace qkv::cpu
