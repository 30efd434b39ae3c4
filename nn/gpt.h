// GPT (decoder-only), docs/design.md section 4: token embedding, learned / sinusoidal / rotary
// positions, N pre-LN DecoderBlocks, final LayerNorm, LM head tied to the embedding by
// default. Init normal(0, 0.02); residual projections (attn.o_proj, mlp.proj) scaled by
// 1/sqrt(2N). Parameter names: wte.weight, wpe.weight, blocks.0.ln_1.weight,
// blocks.0.attn.q_proj.weight, ..., ln_f.weight, lm_head.weight (untied only).
#pragma once
#include <memory>
#include <vector>

#include "nn/blocks.h"

namespace qkv::nn {

class GPT : public Module {
 public:
  GPT(const ModelConfig& cfg, uint64_t seed);
  // ids [B,T] -> logits [B,T,V]. With caches (one per layer, from make_caches()), ids are
  // the new positions only and positions continue from the cache length. More than
  // block_size positions in all is an error naming both numbers.
  Tensor forward(const Tensor& ids, std::vector<KVCache>* caches = nullptr,
                 std::vector<Tensor>* attn_weights = nullptr) const;
  // Mean cross-entropy of the logits against targets [B,T] (over all B*T positions).
  Tensor loss(const Tensor& ids, const Tensor& targets) const;
  std::vector<KVCache> make_caches() const { return std::vector<KVCache>(cfg_.n_layer); }
  const ModelConfig& config() const { return cfg_; }
  // The generator of every dropout mask: its state goes into checkpoints (exact resume).
  Generator& dropout_generator() const { return dropout_gen_; }

  std::shared_ptr<Embedding> wte, wpe;  // wpe only for learned positions
  std::shared_ptr<Dropout> drop;        // on the embeddings (no parameters)
  std::vector<std::shared_ptr<DecoderBlock>> blocks;
  std::shared_ptr<LayerNorm> ln_f;
  Tensor lm_head;  // [V, d]: wte.weight when tied

 private:
  ModelConfig cfg_;
  mutable Generator dropout_gen_;
};

}  // namespace qkv::nn
