// Encoder-decoder transformer, docs/design.md section 4: shared embedding over a joint
// vocabulary (also the output layer), positions, encoder blocks (self-attention with
// the source padding mask), decoder blocks (causal self-attention, cross-attention,
// MLP; or the merged MAtt sublayer when model.merged), final LayerNorms,
// label-smoothed loss, greedy decoding with the KV cache. Each of the three attentions
// is built from its own config, model.attention_for(role) ([attention.encoder] ...).
// Names: embed.weight, pos.weight (learned positions), encoder.blocks.0...., encoder.ln_f,
// decoder.blocks.0...., decoder.ln_f, lm_head.weight (only when tie_embeddings = false).
// Embeddings are not scaled by sqrt(d) (nanoGPT-style, init normal(0, 0.02)); source and
// target share the position table. Residual projections use 0.02 / sqrt(2 * n_layer),
// n_layer being the depth of each stack.
#pragma once
#include <memory>
#include <vector>

#include "nn/blocks.h"

namespace qkv::nn {

class Encoder : public Module {
 public:
  Encoder(const BlockOptions& opt, Generator& gen);
  // x [B,S,d] embedded source, src_padding [B,S] -> memory [B,S,d] (after ln_f); rows:
  // the positions worth computing (nn/row_subset.h), null for all. self_weights gets
  // each layer's attention weights [B,H,S,S] when non-null.
  Tensor forward(const Tensor& x, const Tensor& src_padding, const RowSubset* rows = nullptr,
                 std::vector<Tensor>* self_weights = nullptr) const;
  std::vector<std::shared_ptr<EncoderBlock>> blocks;
  std::shared_ptr<LayerNorm> ln_f;
};

class Decoder : public Module {
 public:
  Decoder(const BlockOptions& opt, Generator& gen);  // MergedDecoderBlocks when model.merged
  // x [B,T,d] embedded target -> [B,T,d] (after ln_f); caches: one per block;
  // cross_weights, self_weights: each block's attention weights (CrossBlock), when non-null.
  Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding,
                 std::vector<DecoderCache>* caches = nullptr, std::vector<Tensor>* cross_weights = nullptr,
                 const RowSubset* rows = nullptr, std::vector<Tensor>* self_weights = nullptr) const;
  std::vector<std::shared_ptr<CrossBlock>> blocks;
  std::shared_ptr<LayerNorm> ln_f;
};

class Seq2Seq : public Module {
 public:
  Seq2Seq(const ModelConfig& cfg, uint64_t seed, int64_t pad_id = 0);
  // src [B,S] -> memory [B,S,d]; rows: the source positions worth computing (all when
  // null); self_weights: the encoder's attention weights per layer, when non-null.
  Tensor encode(const Tensor& src, const RowSubset* rows = nullptr, std::vector<Tensor>* self_weights = nullptr) const;
  // tgt_in [B,T], memory, src -> logits [B,T,V]. With caches (one per layer, from
  // make_caches()), tgt_in holds the new positions only.
  Tensor decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src,
                std::vector<DecoderCache>* caches = nullptr, std::vector<Tensor>* cross_weights = nullptr,
                std::vector<Tensor>* self_weights = nullptr) const;
  // decode without the output projection: the decoder's last hidden states [B,T,d]; rows:
  // the target positions worth computing (all when null).
  Tensor decode_hidden(const Tensor& tgt_in, const Tensor& memory, const Tensor& src,
                       std::vector<DecoderCache>* caches = nullptr, std::vector<Tensor>* cross_weights = nullptr,
                       const RowSubset* rows = nullptr, std::vector<Tensor>* self_weights = nullptr) const;
  Tensor forward(const Tensor& src, const Tensor& tgt_in) const { return decode(tgt_in, encode(src), src); }
  // Mean label-smoothed cross-entropy over non-pad targets. The MLPs skip the positions
  // that cannot reach it (padded sources, targets after a sequence's last target:
  // nn/row_subset.h), and the output layer runs on the scored positions only.
  Tensor loss(const Tensor& src, const Tensor& tgt_in, const Tensor& tgt_out, double label_smoothing = 0.1) const;
  // Greedy decoding with the cache: [B, <= max_len] ids after bos, stopping at eos (a row
  // that has produced eos is filled with pad_id after it; decoding stops when every row
  // has). Runs without recording; call eval() first to switch dropout off.
  Tensor greedy(const Tensor& src, int64_t bos_id, int64_t eos_id, int64_t max_len) const;
  std::vector<DecoderCache> make_caches() const { return std::vector<DecoderCache>(cfg_.n_layer); }
  const ModelConfig& config() const { return cfg_; }
  int64_t pad_id() const { return pad_id_; }
  Generator& dropout_generator() const { return dropout_gen_; }

  // (src == pad_id) as int32 [B,S]: the key padding mask of the source.
  Tensor source_padding(const Tensor& src) const;

 private:
  ModelConfig cfg_;
  int64_t pad_id_;
  mutable Generator dropout_gen_;

 public:
  std::shared_ptr<Embedding> embed, pos;  // pos only for learned positions
  std::shared_ptr<Dropout> drop;          // on the embeddings (no parameters)
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<Decoder> decoder;
  Tensor lm_head;  // [V, d]: embed.weight when tied
};

}  // namespace qkv::nn
