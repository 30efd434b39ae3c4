// Transformer blocks, all pre-LayerNorm (x + sublayer(LN(x))):
//   DecoderBlock        GPT: causal self-attention, MLP
//   EncoderBlock        self-attention with a source padding mask, MLP
//   CrossDecoderBlock   causal self-attention, cross-attention to the encoder output, MLP
//   MergedDecoderBlock  MAtt (Zhang, Titov, Sennrich 2019): one sublayer where a causal
//                       running average of the target side and cross-attention to the
//                       source are summed before one output projection; then MLP.
// Every sublayer output goes through residual dropout (nanoGPT's resid_dropout) before
// it is added back; attention dropout acts on the attention weights inside attention.
#pragma once
#include <memory>

#include "nn/attention.h"
#include "nn/mlp.h"
#include "nn/row_subset.h"

namespace qkv::nn {

// Everything a block needs from the model config, plus the depth of its stack.
struct BlockOptions {
  ModelConfig model;
  // Blocks in the residual stream this block writes to (GPT: n_layer; seq2seq: n_layer
  // per stack). Residual projections start at std 0.02 / sqrt(2 * n_layers_total) (GPT-2).
  int64_t n_layers_total = 4;
  Generator* dropout_gen = nullptr;

  double out_init_std() const;
  // The options of one of the model's attentions: its config (model.attention_for(role)),
  // rope when positions = rope, bias, dropout. Causal is the block's property: the
  // decoder's self-attention follows model.causal, the encoder's and cross-attention
  // never are (docs/design.md section 4).
  AttentionOptions attention(AttentionRole role) const;
};

class DecoderBlock : public Module {
 public:
  DecoderBlock(const BlockOptions& opt, Generator& gen);
  Tensor forward(const Tensor& x, KVCache* cache = nullptr, Tensor* attn_weights = nullptr) const;
  std::shared_ptr<LayerNorm> ln_1, ln_2;
  std::shared_ptr<MultiHeadAttention> attn;
  std::shared_ptr<MLP> mlp;
  std::shared_ptr<Dropout> dropout;  // residual dropout (no parameters)
};

class EncoderBlock : public Module {
 public:
  EncoderBlock(const BlockOptions& opt, Generator& gen);
  // rows: the source positions whose values matter, where the MLP runs (nn/row_subset.h);
  // null means all.
  Tensor forward(const Tensor& x, const Tensor& src_padding, Tensor* attn_weights = nullptr,
                 const RowSubset* rows = nullptr) const;
  std::shared_ptr<LayerNorm> ln_1, ln_2;
  std::shared_ptr<MultiHeadAttention> attn;
  std::shared_ptr<MLP> mlp;
  std::shared_ptr<Dropout> dropout;
};

// Per-layer state of a seq2seq decoder during incremental decoding.
struct DecoderCache {
  KVCache self, cross;  // self grows by one row a step; cross holds the memory's k/v
  Tensor running_sum;   // MergedDecoderBlock: sum of avg_proj(LN(x)) over past positions [B,1,d]
  int64_t steps = 0;    // target positions seen so far (both block kinds)
};

// A seq2seq decoder block: attends to its own past and to the encoder output `memory`
// (src_padding [B,S] marks padded source positions). cross_weights gets the
// cross-attention weights [B,H,T,S] when non-null, self_weights the weights over the
// target's past [B,H,T,T] (the merged block: its running average, [B,1,T,T]). rows: the
// target positions whose values matter, where the MLP runs (nn/row_subset.h); null: all.
class CrossBlock : public Module {
 public:
  virtual Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding,
                         DecoderCache* cache = nullptr, Tensor* cross_weights = nullptr,
                         const RowSubset* rows = nullptr, Tensor* self_weights = nullptr) const = 0;
};

class CrossDecoderBlock : public CrossBlock {
 public:
  CrossDecoderBlock(const BlockOptions& opt, Generator& gen);
  Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding, DecoderCache* cache = nullptr,
                 Tensor* cross_weights = nullptr, const RowSubset* rows = nullptr,
                 Tensor* self_weights = nullptr) const override;
  std::shared_ptr<LayerNorm> ln_1, ln_2, ln_3;
  std::shared_ptr<MultiHeadAttention> self_attn, cross_attn;
  std::shared_ptr<MLP> mlp;
  std::shared_ptr<Dropout> dropout;
};

class MergedDecoderBlock : public CrossBlock {
 public:
  MergedDecoderBlock(const BlockOptions& opt, Generator& gen);
  Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding, DecoderCache* cache = nullptr,
                 Tensor* cross_weights = nullptr, const RowSubset* rows = nullptr,
                 Tensor* self_weights = nullptr) const override;
  std::shared_ptr<LayerNorm> ln_1, ln_2;
  // Value projection of the running average; absent (identity) when cross-attention has
  // v_proj = false (attention.v_proj, or [attention.cross]).
  std::shared_ptr<Linear> avg_proj;
  std::shared_ptr<MultiHeadAttention> cross_attn;  // built without o_proj: o_proj is shared
  // Output projection of the sum; absent (identity) when cross-attention's o_proj = false.
  std::shared_ptr<Linear> o_proj;
  std::shared_ptr<MLP> mlp;
  std::shared_ptr<Dropout> dropout;
};

}  // namespace qkv::nn
