// cross_entropy fused with log_softmax over the rows of contiguous logits [rows, C], with
// int64 targets [rows]; a row whose target is ignore_index counts for nothing. With label
// smoothing s, logp = log_softmax(x) and lse = log sum_c exp(x_c):
//   loss_i = (1 - s) * (lse - x_t) + s * (lse - mean_c x_c)
//   dx_i   = (softmax_i - q_i) * scale,   q_i = (1 - s) onehot(t) + s / C
// T is float or double. Targets must already be checked to lie in [0, C).
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv::cpu {

// loss[i] per row (0 for ignored rows), in double; saves per counted row the max m and
// log sum_c exp(x_c - m) for backward (kept apart: float32 rounds m + log_sum by ~1e-3 for
// logits near 1e4).
template <typename T>
void cross_entropy_forward(Backend, int64_t rows, int64_t classes, const T* logits, const int64_t* targets,
                           int64_t ignore_index, double label_smoothing, double* loss, T* row_max, T* log_sum);

// dx [rows, C] from the saved row_max and log_sum; zero rows for ignored targets.
template <typename T>
void cross_entropy_backward(Backend, int64_t rows, int64_t classes, const T* logits, const int64_t* targets,
                            int64_t ignore_index, double label_smoothing, const T* row_max, const T* log_sum,
                            double scale, T* dx);

}  // namespace qkv::cpu
