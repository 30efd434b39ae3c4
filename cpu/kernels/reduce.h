// Reductions over a contiguous row-major [rows, len] matrix, accumulated in double, in an
// order that does not depend on the thread count. T is float or double.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv::cpu {

// out[i] = scale * sum_j x[i, j]: each row summed left to right.
template <typename T>
void sum_rows(Backend, const T* x, T* out, int64_t rows, int64_t len, double scale);

// out[k] = scale * sum_r x[r, k] over the `outer` rows of [outer, cols] (bias gradients):
// rows in fixed blocks of 256, each block's sum its own partial, partials added in block
// order.
template <typename T>
void sum_columns(Backend, const T* x, T* out, int64_t outer, int64_t cols, double scale);

// Per row: mean[i] = mean of the row, var[i] = sum_j (x[i, j] - mean)^2 / denom (two passes).
template <typename T>
void var_rows(Backend, const T* x, T* var, T* mean, int64_t rows, int64_t len, double denom);

// Per row: the largest value and its first index; a NaN wins, as in PyTorch.
template <typename T>
void max_rows(Backend, const T* x, T* values, int64_t* indices, int64_t rows, int64_t len);

// max_rows' backward: gx [rows, len] (zero-filled by the caller) gets g[i] at the winning
// index of each row.
template <typename T>
void max_rows_backward(Backend, const T* g, const int64_t* indices, T* gx, int64_t rows, int64_t len);

// sum_i x[i]^2 over n contiguous elements (the gradient norm): fixed blocks of 4096, each
// summed in 8 lanes in a fixed order, the blocks' sums added in block order.
template <typename T>
double sum_of_squares(Backend, const T* x, int64_t n);

}  // namespace qkv::cpu
