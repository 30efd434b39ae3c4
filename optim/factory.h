// The optimizer an [optim] config names (name = "adamw" | "adam" | "sgd"), built with that
// config's settings; each optimizer reads only its own.
#pragma once
#include <memory>

#include "optim/config.h"
#include "optim/optimizer.h"

namespace qkv::optim {

// `decay_rule` picks the parameters that decay; empty: nanoGPT's decay_matrices when
// config.decay_embeddings, else the optimizer's default (see adam.h, sgd.h).
std::unique_ptr<Optimizer> make_optimizer(const OptimConfig& config, const NamedParams& params,
                                          const DecayRule& decay_rule = {});

// The state tensors that optimizer keeps per parameter, as its buffer_keys(): Adam's two
// moments, SGD's momentum buffer (none without momentum). For the memory estimate, which
// runs before anything is built (config/memory_budget.h).
int64_t state_tensors_per_parameter(const OptimConfig& config);

}  // namespace qkv::optim
