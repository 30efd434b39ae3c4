// Fused scaled-dot-product attention: softmax(scale q k^T + masks) v in one op and one
// tape entry, without materialising the scores, masks or their gradients as tensors.
#pragma once
#include "autograd/ops/attention_options.h"
#include "base/generator.h"
#include "autograd/tensor.h"

namespace qkv {

// q [B, H, T, e], k [B, Hkv, S, e], v [B, Hkv, S, ev] -> [B, H, T, ev]; H a multiple of
// Hkv (grouped-query attention: query head h reads key/value head h / (H / Hkv)). Any
// strides: views whose matrices BLAS can read (e.g. split_heads' permute) are not copied.
// causal: query t sits at absolute position past + t and sees keys j <= past + t.
// key_padding (optional) [B, S], any dtype, non-zero = that key is masked for every query.
// A query that sees no key at all gets zeros and passes back a zero gradient. Equals
// softmax(masked_fill(matmul(q, k^T) * scale, masks, -inf)) v of the composed ops.
// Saves the probabilities [B, H, T, S] for backward (only when it records).
// dropout_p > 0 (training): dropout on the probabilities before they weight v, drawn from
// dropout_gen exactly as dropout(softmax(...), dropout_p, true, *dropout_gen) would on the
// composed ops' [B, H, T, S] weights (one generator draw; same mask, same results); the
// mask is recomputed in backward, not kept.
Tensor scaled_dot_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal = false,
                            int64_t past = 0, const Tensor& key_padding = Tensor(), double dropout_p = 0.0,
                            Generator* dropout_gen = nullptr);

// The same with every mask and normalisation (attention_options.h): keys equals the call
// above; queries and sigmoid weight v as attention_weights(scale q k^T, mask, normalize)
// would. mask.query_padding zeroes the rows of padded queries.
Tensor scaled_dot_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                            const AttentionMask& mask, const NormalizeOptions& normalize, double dropout_p = 0.0,
                            Generator* dropout_gen = nullptr);

}  // namespace qkv
