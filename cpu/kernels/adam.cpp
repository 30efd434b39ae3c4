#include "cpu/kernels/adam.h"

#include <cmath>

#include "cpu/kernels/elementwise.h"
#include "cpu/parallel.h"

namespace qkv::cpu {
namespace {

// Elements [b, e). The buffers are distinct (__restrict) and the weight-decay form is a
// template argument, so that GCC vectorises the loop: through a lambda's captures it did
// not, and the update ran scalar, a division per element (1.6% of gpt-small's step).
template <typename T, bool kDecoupled, bool kL2>
void adam_elements(int64_t b, int64_t e, T* __restrict pw, T* __restrict m, T* __restrict v, const T* __restrict gr,
                   const AdamStep<T> s) {
  for (int64_t i = b; i < e; ++i) {
    T gi = gr[i];
    if constexpr (kDecoupled) pw[i] = pw[i] * s.shrink;
    if constexpr (kL2) gi = gi + s.l2 * pw[i];
    m[i] = m[i] * s.b1 + s.one_minus_b1 * gi;
    v[i] = v[i] * s.b2 + s.one_minus_b2 * gi * gi;
    const T denom = std::sqrt(v[i]) / s.bc2 + s.eps;
    pw[i] = pw[i] + s.neg_step * m[i] / denom;
  }
}

}  // namespace

template <typename T>
void adam_update(Backend, int64_t n, AdamDecay decay, const AdamStep<T>& step, T* pw, T* m, T* v, const T* gr) {
  const AdamStep<T> s = step;
  parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    if (decay == AdamDecay::decoupled)
      adam_elements<T, true, false>(b, e, pw, m, v, gr, s);
    else if (decay == AdamDecay::l2)
      adam_elements<T, false, true>(b, e, pw, m, v, gr, s);
    else
      adam_elements<T, false, false>(b, e, pw, m, v, gr, s);
  });
}

template void adam_update<float>(Backend, int64_t, AdamDecay, const AdamStep<float>&, float*, float*, float*,
                                 const float*);
template void adam_update<double>(Backend, int64_t, AdamDecay, const AdamStep<double>&, double*, double*, double*,
                                  const double*);

}  // namespace qkv::cpu
