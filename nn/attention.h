// Multi-head attention, self or cross, with every switch of docs/design.md section 3:
// removable q/k/v/o projections, shared or bilinear QK, dot/rbf/cosine/additive
// scores, grouped-query heads, RoPE, causal and key-padding masks, per-head weights
// on request, and a key/value cache for incremental decoding.
//
// Shapes: x [B,T,d] (queries), memory [B,S,d] (keys/values; x itself for
// self-attention), H heads of size dh, Hkv key/value heads.
#pragma once
#include <memory>

#include "base/generator.h"
#include "nn/config.h"
#include "nn/layers.h"
#include "nn/positions.h"
#include "nn/score_kinds.h"

namespace qkv::nn {

struct AttentionOptions {
  int64_t d_model = 128;
  int64_t n_head = 4;
  int64_t head_dim = 0;  // 0 means d_model / n_head
  AttentionConfig variant;  // projections, qk mode, score, kv_heads
  bool causal = true;       // self-attention masks later keys; the block decides (nn/blocks.h)
  bool cross = false;       // keys/values from memory (never causal)
  bool rope = false;        // rotary embedding on q and k (rotate-half form)
  double rope_base = 10000.0;
  bool bias = true;
  double dropout = 0.0;     // on the attention weights, in training
  double init_std = 0.02;
  double out_init_std = 0.02;  // o_proj (GPT-2 scales residual projections by 1/sqrt(2N))

  int64_t dh() const { return head_dim > 0 ? head_dim : d_model / n_head; }
  int64_t hkv() const { return variant.kv_heads > 0 ? variant.kv_heads : n_head; }
  ScoreShape score_shape() const { return {n_head, dh(), init_std}; }
  // Throws qkv::Error naming the impossible combination and why, e.g.
  // "attention: q_proj = false needs n_head * head_dim == n_embd (4 * 16 != 128)".
  void validate() const;
};

// Keys and values seen so far, per layer (projected, per head, RoPE applied).
// For qk = bilinear the keys are the raw memory rows: k is [B, 1, S_past, d].
struct KVCache {
  Tensor k, v;  // [B, Hkv, S_past, dh]
  // Query positions processed so far: the RoPE offset of the next queries. For
  // self-attention it equals length(); cross-attention needs it because there the
  // cache holds the memory's keys, whose length says nothing about the target side.
  int64_t queries = 0;
  int64_t length() const { return k.defined() ? k.size(2) : 0; }
  void reset() { k = Tensor(); v = Tensor(); queries = 0; }
};

struct AttentionOutput {
  Tensor out;      // [B,T,d]
  Tensor weights;  // [B,H,T,S] softmax weights, when requested
};

class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(const AttentionOptions& opt, Generator& gen, Generator* dropout_gen = nullptr);

  // key_padding [B,S]: non-zero marks a padded key (ignored), as PyTorch's
  // key_padding_mask. A fully masked row yields zeros, never NaN. With a cache, x holds
  // only the new positions; for cross-attention the cache keeps the memory's k/v.
  AttentionOutput forward(const Tensor& x, const Tensor& memory = Tensor(), const Tensor& key_padding = Tensor(),
                          KVCache* cache = nullptr, bool need_weights = false) const;

  const AttentionOptions& options() const { return opt_; }

  // Present only when the variant has them (shared qk: k_proj is q_proj).
  std::shared_ptr<Linear> q_proj, k_proj, v_proj, o_proj;
  Tensor bilinear;     // [H, d, d] for qk = bilinear
  Tensor score_param;  // the score kind's own (nn/score_kinds.h): cosine tau [H], additive score_v [H, dh]

 private:
  AttentionOptions opt_;
  Generator* dropout_gen_;
};

}  // namespace qkv::nn
