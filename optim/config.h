// The [optim] section of a run's TOML (docs/design.md section 5) as one struct: what the
// config parser fills, what make_optimizer and make_schedule read, and what the tests and
// benches set for torch's settings. Its enums are spelt through base/names.h.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>

#include "base/names.h"
#include "optim/schedule.h"

namespace qkv::optim {

enum class OptimizerKind { adamw, adam, sgd };

struct OptimConfig {
  OptimizerKind name = OptimizerKind::adamw;
  double lr = 1e-3;
  double min_lr = 1e-4;
  int64_t warmup_iters = 100;
  int64_t lr_decay_iters = 2000;
  ScheduleKind schedule = ScheduleKind::cosine;
  double beta1 = 0.9;         // adam, adamw
  double beta2 = 0.99;        // adam, adamw
  double weight_decay = 0.1;  // decoupled for adamw, L2 for adam and sgd
  // adamw: false keeps embedding tables (wte, wpe) out of weight decay, as our default;
  // true decays every matrix, embeddings included, exactly as nanoGPT's configure_optimizers.
  bool decay_embeddings = false;
  double grad_clip = 1.0;  // the global norm; 0 turns clipping off
  double momentum = 0.9;   // sgd
  // Not [optim] keys (to_toml leaves them out, so a checkpoint's config text stays as it
  // was): torch's values, which the parity tests and benches set.
  double eps = 1e-8;      // adam, adamw
  bool nesterov = false;  // sgd
};

}  // namespace qkv::optim

namespace qkv {

template <>
struct EnumNames<optim::OptimizerKind> {
  static constexpr std::pair<optim::OptimizerKind, std::string_view> table[] = {
      {optim::OptimizerKind::adamw, "adamw"}, {optim::OptimizerKind::adam, "adam"}, {optim::OptimizerKind::sgd, "sgd"}};
};

}  // namespace qkv
