// What --resume may and may not change: the checkpoint's config against the new one, and
// its optimizer state against the model's parameters (docs/design.md section 6).
#pragma once
#include <string>

#include "config/config.h"
#include "io/checkpoint.h"
#include "nn/module.h"

namespace qkv {

// Fails naming the first key that differs from the checkpoint's config and shapes the
// model, the data or the optimizer's state: everything but the schedule and the
// optimizer's numbers ([optim] except name), the run length, the intervals, threads and out.
void check_resume_config(const RunConfig& now, const Checkpoint& ckpt, const std::string& path);

// Fails naming the first trainable parameter with no optimizer state in a checkpoint past
// step 0 (a fresh state would silently restart Adam's moments for it).
void check_resume_state(const nn::Module& model, const Checkpoint& ckpt, const std::string& path);

}  // namespace qkv
