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

}  // namespace qkv::optim
