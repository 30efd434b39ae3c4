#include "optim/adam.h"

#include <cmath>

#include "optim/kernel.h"

namespace qkv::optim {
namespace {

DecayRule rule_or(const DecayRule& rule, bool (*fallback)(const std::string&, const Tensor&)) {
  return rule ? rule : DecayRule(fallback);
}

}  // namespace

Adam::Adam(const NamedParams& params, const AdamOptions& options) : Adam(params, options, false) {}

Adam::Adam(const NamedParams& params, const AdamOptions& o, bool decoupled)
    : Optimizer(params, o.lr, o.weight_decay,
                rule_or(o.decay_rule, decoupled ? decay_matrices_not_embeddings : decay_all)),
      options_(o),
      decoupled_(decoupled) {
  check(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1,
        "{}: betas must lie in [0, 1), got ({}, {})", name(), o.beta1, o.beta2);
  check(o.eps >= 0, "{}: eps must be >= 0, got {}", name(), o.eps);
}

AdamW::AdamW(const NamedParams& params, const AdamOptions& options) : Adam(params, options, true) {}

void Adam::update(const Tensor& p, const Tensor& g, double wd, Slot& slot) {
  const AdamOptions& o = options_;
  // The scalars exactly as torch forms them: in double, then rounded to T by the kernel.
  const double t = static_cast<double>(slot.step);
  const double step_size = lr() / (1 - std::pow(o.beta1, t));
  const double bias_correction2_sqrt = std::sqrt(1 - std::pow(o.beta2, t));
  Tensor& m_buf = buffer(slot, "exp_avg", p);
  Tensor& v_buf = buffer(slot, "exp_avg_sq", p);
  dispatch_float(p.dtype(), name(), [&]<typename T>() {
    T* pw = p.data<T>();
    T* m = m_buf.data<T>();
    T* v = v_buf.data<T>();
    const T* gr = g.data<T>();
    const T l2 = static_cast<T>(decoupled_ ? 0.0 : wd), shrink = static_cast<T>(1 - lr() * wd);
    const T b1 = static_cast<T>(o.beta1), one_minus_b1 = static_cast<T>(1 - o.beta1);
    const T b2 = static_cast<T>(o.beta2), one_minus_b2 = static_cast<T>(1 - o.beta2);
    const T bc2 = static_cast<T>(bias_correction2_sqrt), eps = static_cast<T>(o.eps);
    const T neg_step = static_cast<T>(-step_size);
    const bool decoupled = decoupled_;
    // One pass per element, in torch's order of operations (mul_, add_, addcmul_, addcdiv_).
    for_each_element(p.numel(), [&](int64_t i) {
      T gi = gr[i];
      if (decoupled) {
        pw[i] = pw[i] * shrink;
      } else if (wd != 0) {
        gi = gi + l2 * pw[i];
      }
      m[i] = m[i] * b1 + one_minus_b1 * gi;
      v[i] = v[i] * b2 + one_minus_b2 * gi * gi;
      const T denom = std::sqrt(v[i]) / bc2 + eps;
      pw[i] = pw[i] + neg_step * m[i] / denom;
    });
  });
}

}  // namespace qkv::optim
