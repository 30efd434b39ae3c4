#include "optim/schedule.h"

#include <cmath>
#include <numbers>

#include "base/error.h"

namespace qkv::optim {

double LrSchedule::at(int64_t it) const {
  if (kind == ScheduleKind::constant) return lr;
  if (it < warmup_iters) return lr * static_cast<double>(it + 1) / static_cast<double>(warmup_iters + 1);
  if (it >= lr_decay_iters) return min_lr;  // nanoGPT: it > lr_decay_iters; at equality both give min_lr
  const double ratio = static_cast<double>(it - warmup_iters) / static_cast<double>(lr_decay_iters - warmup_iters);
  if (kind == ScheduleKind::linear) return lr - ratio * (lr - min_lr);
  const double coeff = 0.5 * (1.0 + std::cos(std::numbers::pi * ratio));
  return min_lr + coeff * (lr - min_lr);
}

LrSchedule make_schedule(ScheduleKind kind, double lr, double min_lr, int64_t warmup_iters,
                         int64_t lr_decay_iters) {
  LrSchedule s;
  s.kind = kind;
  QKV_CHECK(lr >= 0 && min_lr >= 0, "schedule: lr and min_lr must be >= 0, got {} and {}", lr, min_lr);
  QKV_CHECK(warmup_iters >= 0, "schedule: warmup_iters must be >= 0, got {}", warmup_iters);
  QKV_CHECK(lr_decay_iters >= 0, "schedule: lr_decay_iters must be >= 0, got {}", lr_decay_iters);
  s.lr = lr;
  s.min_lr = min_lr;
  s.warmup_iters = warmup_iters;
  s.lr_decay_iters = lr_decay_iters;
  return s;
}

}  // namespace qkv::optim
