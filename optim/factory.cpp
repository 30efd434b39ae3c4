#include "optim/factory.h"

#include "optim/adam.h"
#include "optim/sgd.h"

namespace qkv::optim {

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const NamedParams& params,
                                          const OptimizerSettings& s) {
  if (name == "adam" || name == "adamw") {
    AdamOptions o;
    o.lr = s.lr;
    o.beta1 = s.beta1;
    o.beta2 = s.beta2;
    o.eps = s.eps;
    o.weight_decay = s.weight_decay;
    o.decay_rule = s.decay_rule;
    if (name == "adam") return std::make_unique<Adam>(params, o);
    return std::make_unique<AdamW>(params, o);
  }
  if (name == "sgd") {
    SGDOptions o;
    o.lr = s.lr;
    o.momentum = s.momentum;
    o.weight_decay = s.weight_decay;
    o.nesterov = s.nesterov;
    o.decay_rule = s.decay_rule;
    return std::make_unique<SGD>(params, o);
  }
  fail("optimizer: unknown optimizer '{}' (expected adamw, adam or sgd)", name);
}

}  // namespace qkv::optim
