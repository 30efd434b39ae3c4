#include "optim/adam.h"

#include <cmath>

#include "autograd/dispatch.h"
#include "cpu/kernels/adam.h"

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
  QKV_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1,
        "{}: betas must lie in [0, 1), got ({}, {})", name(), o.beta1, o.beta2);
  QKV_CHECK(o.eps >= 0, "{}: eps must be >= 0, got {}", name(), o.eps);
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
  const AdamDecay decay = decoupled_ ? AdamDecay::decoupled
                                : wd != 0   ? AdamDecay::l2
                                            : AdamDecay::none;
  on_device(device_of(name(), p, g, m_buf, v_buf), name(), [&](auto backend) {
    dispatch_float(p.dtype(), name(), [&]<typename T>() {
      const AdamStep<T> s{static_cast<T>(decoupled_ ? 0.0 : wd),
                               static_cast<T>(1 - lr() * wd),
                               static_cast<T>(o.beta1),
                               static_cast<T>(1 - o.beta1),
                               static_cast<T>(o.beta2),
                               static_cast<T>(1 - o.beta2),
                               static_cast<T>(bias_correction2_sqrt),
                               static_cast<T>(o.eps),
                               static_cast<T>(-step_size)};
      adam_update(backend, p.numel(), decay, s, p.data<T>(), m_buf.data<T>(), v_buf.data<T>(), g.data<T>());
    });
  });
}

}  // namespace qkv::optim
