// The attention normalisations over blocks of score rows, forward and backward side by
// side; shared by scaled_dot_attention (dot scores, fused) and attention_weights (any
// scores). The mode and the masks are decided here, the arithmetic is cpu/attention_kernels.
#pragma once
#include <algorithm>
#include <vector>

#include "autograd/ops/attention_options.h"

namespace qkv {

// An AttentionMask as the kernels read it: paddings as bytes, per-row reach.
struct RowMasks {
  bool causal = false;
  int64_t past = 0, T = 0, S = 0;
  std::vector<uint8_t> key_padded;    // [B, S], 1 = masked; empty without key padding
  std::vector<uint8_t> query_padded;  // [B, T], 1 = masked; empty without query padding

  // Keys row t can reach under the causal mask alone: j < reach(t). Grows with t.
  int64_t reach(int64_t t) const { return causal ? std::clamp<int64_t>(past + t + 1, 0, S) : S; }
  // Keys row t of batch b may see before key padding: 0 for a padded query.
  int64_t visible(int64_t b, int64_t t) const {
    return !query_padded.empty() && query_padded[b * T + t] ? 0 : reach(t);
  }
  const uint8_t* padding(int64_t b) const { return key_padded.empty() ? nullptr : key_padded.data() + b * S; }
};

// Checks the mask against [B, T, S] (errors name `op`) and resolves it.
RowMasks row_masks(const AttentionMask& mask, int64_t B, int64_t T, int64_t S, const char* op);

// Rows [r0, r0 + rows) of one head of batch b, the scores x (rows ld apart, keys
// [0, width): at least the reach of the block's last row) -> weights in place, with
// `scale` applied to the scores first. queries normalises over the rows given, so it
// needs the whole head: r0 = 0, rows = T.
template <typename T>
void normalize_rows(const NormalizeOptions& opt, const RowMasks& masks, int64_t b, int64_t r0, int64_t rows, T* x,
                    int64_t ld, int64_t width, T scale);
// The gradient through normalize_rows: dp (the weights' gradient, rows ld_dp apart) ->
// the gradient of the unscaled scores, in place; p the weights it wrote (rows ldp apart).
// The masks need no second look: the weights are 0 wherever they masked.
template <typename T>
void normalize_rows_backward(Normalize kind, int64_t rows, const T* p, int64_t ldp, T* dp, int64_t ld_dp,
                             int64_t width, T scale);

}  // namespace qkv
