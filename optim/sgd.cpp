#include "optim/sgd.h"

#include "optim/kernel.h"

namespace qkv::optim {

SGD::SGD(const NamedParams& params, const SGDOptions& o)
    : Optimizer(params, o.lr, o.weight_decay, o.decay_rule ? o.decay_rule : DecayRule(decay_all)), options_(o) {
  check(o.momentum >= 0, "sgd: momentum must be >= 0, got {}", o.momentum);
  check(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
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
    const T decay = static_cast<T>(wd), mom = static_cast<T>(o.momentum);
    const T keep = static_cast<T>(1 - o.dampening), neg_lr = static_cast<T>(-lr());
    const bool nesterov = o.nesterov;
    // torch's order: d_p.add(p, alpha=wd); buf.mul_(m).add_(d_p, alpha=1-damp); p.add_(d, alpha=-lr).
    for_each_element(p.numel(), [&](int64_t i) {
      T d = gr[i];
      if (wd != 0) d = d + decay * pw[i];
      if (use_momentum) {
        buf[i] = first ? d : buf[i] * mom + keep * d;
        d = nesterov ? d + mom * buf[i] : buf[i];
      }
      pw[i] = pw[i] + neg_lr * d;
    });
  });
}

}  // namespace qkv::optim
