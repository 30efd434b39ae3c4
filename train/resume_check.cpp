#include "train/resume_check.h"

#include "base/error.h"

namespace qkv {

namespace {

// Keys a resumed run may set anew: how long and how loud it runs, and the learning-rate
// schedule and optimizer numbers, and how a data-parallel run communicates (continuing with a lower lr is a common, sound move).
bool may_change_on_resume(const std::string& key) {
  static const char* const kFree[] = {"train.max_iters",      "train.eval_interval",       "train.eval_iters",
                                      "train.log_interval",   "train.checkpoint_interval", "train.keep_checkpoints",
                                      "train.threads",        "train.out",                 "train.bucket_mb",
                                      "train.replica_check_interval"};
  for (const char* k : kFree)
    if (key == k) return true;
  return key.starts_with("optim.") && key != "optim.name";
}

}  // namespace

void check_resume_config(const RunConfig& now, const Checkpoint& ckpt, const std::string& path) {
  const RunConfig then = parse_config(ckpt.config_toml, path + " (its stored config)");
  for (const KeyDifference& d : differing_keys(then, now))
    QKV_CHECK(may_change_on_resume(d.key),
              "train: --resume: {} is {} but the checkpoint {} was trained with {} (a resumed run keeps the model, "
              "the data and the batch; drop the change or start a new run with another --out)",
              d.key, d.b, path, d.a);
}

void check_resume_state(const nn::Module& model, const Checkpoint& ckpt, const std::string& path) {
  if (ckpt.step == 0) return;
  for (const auto& [name, p] : model.named_parameters())
    QKV_CHECK(!p.requires_grad() || ckpt.optim.count(name),
              "train: --resume: {} has no optimizer state for parameter {} (expected one per trainable parameter "
              "after step {}); the checkpoint is incomplete",
              path, name, ckpt.step);
}

}  // namespace qkv
