#include "cpu/kernels/sgd.h"

#include "cpu/kernels/elementwise.h"
#include "cpu/parallel.h"

namespace qkv::cpu {
namespace {

// Elements [b, e). Distinct buffers (__restrict) and the decay and momentum cases as
// template arguments let GCC vectorise the loop (through a lambda's captures it ran scalar).
template <typename T, bool kDecay, bool kMomentum>
void sgd_elements(int64_t b, int64_t e, T* __restrict pw, T* __restrict buf, const T* __restrict gr,
                  const SgdStep<T> s) {
  for (int64_t i = b; i < e; ++i) {
    T d = gr[i];
    if constexpr (kDecay) d = d + s.decay * pw[i];
    if constexpr (kMomentum) {
      buf[i] = s.first ? d : buf[i] * s.momentum + s.keep * d;
      d = s.nesterov ? d + s.momentum * buf[i] : buf[i];
    }
    pw[i] = pw[i] + s.neg_lr * d;
  }
}

}  // namespace

template <typename T>
void sgd_update(Backend, int64_t n, bool with_decay, const SgdStep<T>& step, T* pw, T* buf, const T* gr) {
  const SgdStep<T> s = step;
  const bool use_momentum = buf != nullptr;
  parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    if (with_decay && use_momentum)
      sgd_elements<T, true, true>(b, e, pw, buf, gr, s);
    else if (with_decay)
      sgd_elements<T, true, false>(b, e, pw, buf, gr, s);
    else if (use_momentum)
      sgd_elements<T, false, true>(b, e, pw, buf, gr, s);
    else
      sgd_elements<T, false, false>(b, e, pw, buf, gr, s);
  });
}

template void sgd_update<float>(Backend, int64_t, bool, const SgdStep<float>&, float*, float*, const float*);
template void sgd_update<double>(Backend, int64_t, bool, const SgdStep<double>&, double*, double*, const double*);

}  // namespace qkv::cpu
