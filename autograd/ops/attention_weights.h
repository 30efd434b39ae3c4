// Attention weights from any scores: the masks and the normalisation of
// docs/design.md section 3 in one op, for the score kinds the fused
// scaled_dot_attention does not compute (rbf, cosine, additive, bilinear) and for
// need_weights.
#pragma once
#include "autograd/ops/attention_options.h"

namespace qkv {

// scores [B, H, T, S] -> weights [B, H, T, S]: 0 at masked entries, the rest normalised
// as `normalize` says (attention_options.h). Under keys, the same values as
// softmax(masked_fill(scores, masks, -inf), -1).
Tensor attention_weights(const Tensor& scores, const AttentionMask& mask, const NormalizeOptions& normalize = {});

}  // namespace qkv
