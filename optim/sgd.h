// SGD with momentum, dampening, Nesterov and weight decay, with torch.optim.SGD's
// semantics (PyTorch 1.13): the momentum buffer starts as the first gradient.
#pragma once
#include "optim/optimizer.h"

namespace qkv::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;  // L2, added to the gradient
  bool nesterov = false;    // needs momentum > 0 and dampening 0, as in torch
  DecayRule decay_rule;     // empty: every parameter decays (torch)
};

// Per parameter:
//   d <- g + wd p
//   b <- d on the first step, else momentum b + (1 - dampening) d     (momentum > 0)
//   d <- d + momentum b  (Nesterov)  or  d <- b
//   p <- p - lr d
class SGD : public Optimizer {
 public:
  SGD(const NamedParams& params, const SGDOptions& options = {});
  const char* name() const override { return "sgd"; }

 protected:
  void update(const Tensor& p, const Tensor& g, double weight_decay, Slot& slot) override;
  std::vector<std::string> buffer_keys() const override;

 private:
  SGDOptions options_;
};

}  // namespace qkv::optim
