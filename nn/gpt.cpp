#include "nn/gpt.h"

#include "autograd/autograd.h"

namespace qkv::nn {

GPT::GPT(const ModelConfig& cfg, uint64_t seed) : cfg_(cfg), dropout_gen_(seed ^ 0x9e3779b97f4a7c15ULL) {
  QKV_CHECK(cfg.kind == ModelKind::gpt, "gpt: the config's [model] kind is seq2seq, not gpt");
  QKV_CHECK(cfg.override_problem().empty(), "gpt: {}", cfg.override_problem());
  Generator gen(seed);
  InputEmbedding input = make_input_embedding(cfg, gen);
  wte = register_module("wte", input.tokens);
  if (input.positions) wpe = register_module("wpe", input.positions);
  drop = register_module("drop", std::make_shared<Dropout>(cfg.dropout, &dropout_gen_));
  BlockOptions block{cfg, cfg.n_layer, &dropout_gen_};
  for (int64_t i = 0; i < cfg.n_layer; ++i)
    blocks.push_back(register_module("blocks." + std::to_string(i), std::make_shared<DecoderBlock>(block, gen)));
  ln_f = register_module("ln_f", std::make_shared<LayerNorm>(cfg.n_embd, cfg.bias));
  // Tied: the head is the embedding table itself (one parameter, registered once).
  lm_head = cfg.tie_embeddings
                ? wte->weight
                : register_parameter("lm_head.weight", randn({cfg.vocab_size, cfg.n_embd}, gen, DType::f32, 0.0, 0.02));
}

Tensor GPT::forward(const Tensor& ids, std::vector<KVCache>* caches, std::vector<Tensor>* attn_weights) const {
  QKV_CHECK(!caches || static_cast<int64_t>(caches->size()) == cfg_.n_layer, "gpt: {} caches for {} layers",
        caches ? caches->size() : 0, cfg_.n_layer);
  const int64_t offset = caches ? caches->front().length() : 0;
  Tensor x = drop->forward(embed_tokens(*wte, wpe.get(), cfg_, ids, offset, "gpt"));  // [B,T,d]
  if (attn_weights) attn_weights->assign(blocks.size(), Tensor());
  for (size_t i = 0; i < blocks.size(); ++i)
    x = blocks[i]->forward(x, caches ? &(*caches)[i] : nullptr, attn_weights ? &(*attn_weights)[i] : nullptr);
  return matmul(ln_f->forward(x), lm_head.transpose(0, 1));  // [B,T,d] x [d,V] -> [B,T,V]
}

Tensor GPT::loss(const Tensor& ids, const Tensor& targets) const {
  Tensor logits = forward(ids);
  QKV_CHECK(targets.shape() == ids.shape(), "gpt loss: targets {} do not match ids {}", describe(targets), describe(ids));
  return cross_entropy(logits.reshape({-1, cfg_.vocab_size}), targets.reshape({-1}));
}

}  // namespace qkv::nn
