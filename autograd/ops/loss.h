// cross_entropy fused with log_softmax: one pass forward, one pass backward.
#pragma once
#include "autograd/tensor.h"

namespace qkv {

struct CrossEntropyOptions {
  int64_t ignore_index = -100;   // targets equal to this count for nothing
  double label_smoothing = 0.0;  // as torch: (1 - s) on the target, s / C spread uniformly
};

// logits [N, C] (or [..., C]); targets int32/int64 [N] (or [...]). Returns the mean
// over counted targets (a scalar); 0 when every target is ignored.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& opt = {});

}  // namespace qkv
