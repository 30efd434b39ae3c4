#include "optim/sgd.h"

#include "autograd/loops.h"
#include "cpu/parallel.h"

namespace qkv::optim {
namespace {

// The per-element constants of one step, in the parameter's type.
template <typename T>
struct SgdStep {
  T decay, momentum, keep, neg_lr;
  bool first;     // the momentum buffer's first step: it starts as the gradient
  bool nesterov;  // torch's nesterov=True: step along d + momentum * buf
};

// Elements [b, e) in torch's order: d_p.add(p, alpha=wd); buf.mul_(m).add_(d_p, alpha=1-damp);
// p.add_(d, alpha=-lr). Distinct buffers (__restrict) and the decay and momentum cases as
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


SGD::SGD(const NamedParams& params, const SGDOptions& o)
    : Optimizer(params, o.lr, o.weight_decay, o.decay_rule ? o.decay_rule : DecayRule(decay_all)), options_(o) {
  QKV_CHECK(o.momentum >= 0, "sgd: momentum must be >= 0, got {}", o.momentum);
  QKV_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
        "sgd: Nesterov momentum needs momentum > 0 and dampening 0, got momentum {} and dampening {}",
        o.momentum, o.dampening);
}

std::vector<std::string> SGD::buffer_keys() const {
  if (options_.momentum == 0) return {};
  return {"momentum_buffer"};
}

void SGD::update(const Tensor& p, const Tensor& g, double wd, Slot& slot) {
  const SGDOptions& o = options_;
  const bool use_momentum = o.momentum != 0;
  const bool first = use_momentum && !slot.buffers.count("momentum_buffer");
  Tensor buf_t = use_momentum ? buffer(slot, "momentum_buffer", p) : Tensor();
  dispatch_float(p.dtype(), name(), [&]<typename T>() {
    T* pw = p.data<T>();
    const T* gr = g.data<T>();
    T* buf = use_momentum ? buf_t.data<T>() : nullptr;
    const SgdStep<T> s{static_cast<T>(wd), static_cast<T>(o.momentum), static_cast<T>(1 - o.dampening),
                       static_cast<T>(-lr()), first, o.nesterov};
    // Each element on its own, so results do not depend on the thread count.
    parallel_for(p.numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      if (wd != 0 && use_momentum)
        sgd_elements<T, true, true>(b, e, pw, buf, gr, s);
      else if (wd != 0)
        sgd_elements<T, true, false>(b, e, pw, buf, gr, s);
      else if (use_momentum)
        sgd_elements<T, false, true>(b, e, pw, buf, gr, s);
      else
        sgd_elements<T, false, false>(b, e, pw, buf, gr, s);
    });
  });
}

}  // namespace qkv::optim
