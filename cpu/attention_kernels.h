// The per-element arithmetic of attention's normalisations (docs/design.md section 3,
// `attention.normalize`): scores -> weights in place, and the weights' backward. Raw
// pointers and sizes only; the ops in autograd/ops/ decide which rows, masks and biases.
//
// A row of scores x[0, width) arrives as products q.k that still need `scale`; key j is
// allowed when j < visible and padded[j] == 0 (padded may be null: no key padding).
// Masked entries come out as weight 0, and pass back gradient 0. Instantiated for float
// and double.
#pragma once
#include <cstdint>

namespace qkv::cpu {

// keys: x -> softmax over the allowed keys of scale * x; the rest of [0, width) becomes 0,
// and so does a row with no allowed key (NaN among the allowed scores gives a NaN row).
// fast::exp and fixed-lane sums, as the softmax op: the same bits as
// softmax(masked_fill(x * scale, mask, -inf)).
template <typename T>
void softmax_row(T* x, T scale, int64_t visible, const uint8_t* padded, int64_t width);
// dp -> scale * p * (dp - sum_j dp_j p_j) over [0, n), in place.
template <typename T>
void softmax_row_backward(const T* p, T* dp, T scale, int64_t n);

// sigmoid: x -> sigmoid(scale * x + bias) at allowed keys, 0 elsewhere in [0, width).
template <typename T>
void sigmoid_row(T* x, T scale, T bias, int64_t visible, const uint8_t* padded, int64_t width);
// dp -> scale * dp * p * (1 - p) over [0, n), in place.
template <typename T>
void sigmoid_row_backward(const T* p, T* dp, T scale, int64_t n);
// The number of allowed keys of a row (the n of sigmoid's default bias -log n).
int64_t allowed_keys(int64_t visible, const uint8_t* padded);

// queries, in two steps. mask_row: x -> scale * x at allowed keys, -inf elsewhere in
// [0, width). softmax_columns: each column j < cols of the rows x[r * ld + j] ->
// softmax over its finite entries; a column with none (fully masked) becomes 0.
template <typename T>
void mask_row(T* x, T scale, int64_t visible, const uint8_t* padded, int64_t width);
template <typename T>
void softmax_columns(T* x, int64_t rows, int64_t cols, int64_t ld);
// dp -> scale * p * (dp - sum_r dp_r p_r) column by column, in place; p's rows are ldp
// apart, dp's ld apart.
template <typename T>
void softmax_columns_backward(const T* p, int64_t ldp, T* dp, int64_t ld, int64_t rows, int64_t cols, T scale);

}  // namespace qkv::cpu
