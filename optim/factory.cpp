#include "optim/factory.h"

#include "optim/adam.h"
#include "optim/sgd.h"

namespace qkv::optim {

std::unique_ptr<Optimizer> make_optimizer(const OptimConfig& c, const NamedParams& params,
                                          const DecayRule& decay_rule) {
  const DecayRule rule = decay_rule ? decay_rule : c.decay_embeddings ? DecayRule(decay_matrices) : DecayRule();
  switch (c.name) {
    case OptimizerKind::adam:
    case OptimizerKind::adamw: {
      AdamOptions o;
      o.lr = c.lr;
      o.beta1 = c.beta1;
      o.beta2 = c.beta2;
      o.eps = c.eps;
      o.weight_decay = c.weight_decay;
      o.decay_rule = rule;
      if (c.name == OptimizerKind::adam) return std::make_unique<Adam>(params, o);
      return std::make_unique<AdamW>(params, o);
    }
    case OptimizerKind::sgd: {
      SGDOptions o;
      o.lr = c.lr;
      o.momentum = c.momentum;
      o.weight_decay = c.weight_decay;
      o.nesterov = c.nesterov;
      o.decay_rule = rule;
      return std::make_unique<SGD>(params, o);
    }
  }
  fail("optimizer: no optimizer for kind {}", static_cast<int>(c.name));
}

int64_t state_tensors_per_parameter(const OptimConfig& c) {
  switch (c.name) {
    case OptimizerKind::adam:
    case OptimizerKind::adamw: return 2;
    case OptimizerKind::sgd: return c.momentum != 0 ? 1 : 0;
  }
  fail("optimizer: no optimizer for kind {}", static_cast<int>(c.name));
}

}  // namespace qkv::optim
