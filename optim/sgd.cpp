#include "optim/sgd.h"

#include "autograd/dispatch.h"
#include "cpu/kernels/sgd.h"

namespace qkv::optim {

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
  on_device(device_of(name(), p, g, buf_t), name(), [&](auto backend) {
    dispatch_float(p.dtype(), name(), [&]<typename T>() {
      const SgdStep<T> s{static_cast<T>(wd), static_cast<T>(o.momentum), static_cast<T>(1 - o.dampening),
                         static_cast<T>(-lr()), first, o.nesterov};
      sgd_update(backend, p.numel(), wd != 0, s, p.data<T>(), use_momentum ? buf_t.data<T>() : nullptr, g.data<T>());
    });
  });
}

}  // namespace qkv::optim
