// Parameter and FLOP counts for any config, computed from the config alone (no model
// is built), so the ablation runner can match variants by size or by compute.
#pragma once
#include "nn/config.h"

namespace qkv::nn {

int64_t count_parameters(const ModelConfig& cfg);
// Training FLOPs per token (forward + backward = 3x forward): 6 x every weight used in a
// matrix product (LM head included) plus the attention terms (scores and weighted sum
// over a full block), following docs/design.md section 8; variant scores add their own cost.
double training_flops_per_token(const ModelConfig& cfg);

}  // namespace qkv::nn
