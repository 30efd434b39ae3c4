// Optimizers by the names a config uses ([optim] name = "adamw" | "adam" | "sgd").
#pragma once
#include <memory>
#include <string>

#include "optim/optimizer.h"

namespace qkv::optim {

// The [optim] keys an optimizer reads (docs/design.md section 5); each reads only its own.
struct OptimizerSettings {
  double lr = 1e-3;
  double beta1 = 0.9;         // adam, adamw
  double beta2 = 0.999;       // adam, adamw
  double eps = 1e-8;          // adam, adamw
  double weight_decay = 0;    // all: L2 for sgd and adam, decoupled for adamw
  double momentum = 0;        // sgd
  bool nesterov = false;      // sgd
  DecayRule decay_rule;       // empty: the optimizer's default (see adam.h, sgd.h)
};

// An error names an unknown optimizer.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const NamedParams& params,
                                          const OptimizerSettings& settings);

}  // namespace qkv::optim
