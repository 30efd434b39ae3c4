// Learning-rate schedules, as a function of the iteration number it = 0, 1, 2, ...
// (the lr for the update made at iteration it; nanoGPT's get_lr(iter_num)).
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>

#include "base/names.h"

namespace qkv::optim {

enum class ScheduleKind {
  constant,  // lr at every iteration (nanoGPT with decay_lr = False: no warmup either)
  cosine,    // nanoGPT's get_lr: linear warmup, cosine decay to min_lr, then min_lr
  linear,    // the same warmup, then a straight line from lr to min_lr, then min_lr
};

struct LrSchedule {
  ScheduleKind kind = ScheduleKind::cosine;
  double lr = 1e-3;
  double min_lr = 1e-4;
  int64_t warmup_iters = 0;
  int64_t lr_decay_iters = 0;

  // nanoGPT's formula (current master):
  //   it < warmup_iters:      lr * (it + 1) / (warmup_iters + 1)
  //   it > lr_decay_iters:    min_lr
  //   otherwise, with r = (it - warmup_iters) / (lr_decay_iters - warmup_iters) in [0, 1]:
  //     cosine: min_lr + 0.5 (1 + cos(pi r)) (lr - min_lr);  linear: lr - r (lr - min_lr)
  // where nanoGPT would divide by zero (it == warmup_iters == lr_decay_iters) we give min_lr.
  double at(int64_t it) const;
};

// A schedule; an error names a bad value.
LrSchedule make_schedule(ScheduleKind kind, double lr, double min_lr, int64_t warmup_iters,
                         int64_t lr_decay_iters);

}  // namespace qkv::optim

namespace qkv {

template <>
struct EnumNames<optim::ScheduleKind> {
  static constexpr std::pair<optim::ScheduleKind, std::string_view> table[] = {
      {optim::ScheduleKind::constant, "constant"},
      {optim::ScheduleKind::cosine, "cosine"},
      {optim::ScheduleKind::linear, "linear"}};
};

}  // namespace qkv
