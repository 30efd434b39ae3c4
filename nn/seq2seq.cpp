#include "nn/seq2seq.h"

#include <algorithm>

#include "autograd/autograd.h"

namespace qkv::nn {

// ---------------------------------------------------------------------------- stacks

Encoder::Encoder(const BlockOptions& opt, Generator& gen) {
  for (int64_t i = 0; i < opt.model.n_layer; ++i)
    blocks.push_back(register_module("blocks." + std::to_string(i), std::make_shared<EncoderBlock>(opt, gen)));
  ln_f = register_module("ln_f", std::make_shared<LayerNorm>(opt.model.n_embd, opt.model.bias));
}

Tensor Encoder::forward(const Tensor& x, const Tensor& src_padding, const RowSubset* rows,
                        std::vector<Tensor>* self_weights) const {
  if (self_weights) self_weights->assign(blocks.size(), Tensor());
  Tensor h = x;
  for (size_t i = 0; i < blocks.size(); ++i)
    h = blocks[i]->forward(h, src_padding, self_weights ? &(*self_weights)[i] : nullptr, rows);
  return ln_f->forward(h);
}

Decoder::Decoder(const BlockOptions& opt, Generator& gen) {
  for (int64_t i = 0; i < opt.model.n_layer; ++i) {
    std::shared_ptr<CrossBlock> block;
    if (opt.model.merged)
      block = std::make_shared<MergedDecoderBlock>(opt, gen);
    else
      block = std::make_shared<CrossDecoderBlock>(opt, gen);
    blocks.push_back(register_module("blocks." + std::to_string(i), block));
  }
  ln_f = register_module("ln_f", std::make_shared<LayerNorm>(opt.model.n_embd, opt.model.bias));
}

Tensor Decoder::forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding,
                        std::vector<DecoderCache>* caches, std::vector<Tensor>* cross_weights, const RowSubset* rows,
                        std::vector<Tensor>* self_weights) const {
  QKV_CHECK(!caches || caches->size() == blocks.size(), "seq2seq decoder: {} caches for {} layers",
        caches ? caches->size() : 0, blocks.size());
  if (cross_weights) cross_weights->assign(blocks.size(), Tensor());
  if (self_weights) self_weights->assign(blocks.size(), Tensor());
  Tensor h = x;
  for (size_t i = 0; i < blocks.size(); ++i)
    h = blocks[i]->forward(h, memory, src_padding, caches ? &(*caches)[i] : nullptr,
                           cross_weights ? &(*cross_weights)[i] : nullptr, rows,
                           self_weights ? &(*self_weights)[i] : nullptr);
  return ln_f->forward(h);
}

// ---------------------------------------------------------------------------- model

Seq2Seq::Seq2Seq(const ModelConfig& cfg, uint64_t seed, int64_t pad_id)
    : cfg_(cfg), pad_id_(pad_id), dropout_gen_(seed ^ 0x9e3779b97f4a7c15ULL) {
  QKV_CHECK(cfg.kind == ModelKind::seq2seq, "seq2seq: the config's [model] kind is gpt, not seq2seq");
  QKV_CHECK(cfg.override_problem().empty(), "seq2seq: {}", cfg.override_problem());
  QKV_CHECK(pad_id >= 0 && pad_id < cfg.vocab_size, "seq2seq: pad_id {} outside the vocabulary [0, {})", pad_id,
        cfg.vocab_size);
  Generator gen(seed);
  InputEmbedding input = make_input_embedding(cfg, gen);
  embed = register_module("embed", input.tokens);
  if (input.positions) pos = register_module("pos", input.positions);
  drop = register_module("drop", std::make_shared<Dropout>(cfg.dropout, &dropout_gen_));
  BlockOptions blocks{cfg, cfg.n_layer, &dropout_gen_};
  encoder = register_module("encoder", std::make_shared<Encoder>(blocks, gen));
  decoder = register_module("decoder", std::make_shared<Decoder>(blocks, gen));
  lm_head = cfg.tie_embeddings
                ? embed->weight
                : register_parameter("lm_head.weight", randn({cfg.vocab_size, cfg.n_embd}, gen, DType::f32, 0.0, 0.02));
}

Tensor Seq2Seq::source_padding(const Tensor& src) const {
  QKV_CHECK(src.dim() == 2, "seq2seq: expected source ids [B,S], got {}", describe(src));
  std::vector<int64_t> ids = src.to_vector<int64_t>();
  std::vector<int32_t> pad(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) pad[i] = ids[i] == pad_id_;
  return Tensor::from(pad, src.shape());
}

Tensor Seq2Seq::encode(const Tensor& src, const RowSubset* rows, std::vector<Tensor>* self_weights) const {
  Tensor x = drop->forward(embed_tokens(*embed, pos.get(), cfg_, src, 0, "seq2seq source"));
  return encoder->forward(x, source_padding(src), rows, self_weights);
}

Tensor Seq2Seq::decode_hidden(const Tensor& tgt_in, const Tensor& memory, const Tensor& src,
                              std::vector<DecoderCache>* caches, std::vector<Tensor>* cross_weights,
                              const RowSubset* rows, std::vector<Tensor>* self_weights) const {
  const int64_t offset = caches && !caches->empty() ? caches->front().steps : 0;
  Tensor x = drop->forward(embed_tokens(*embed, pos.get(), cfg_, tgt_in, offset, "seq2seq target"));
  return decoder->forward(x, memory, source_padding(src), caches, cross_weights, rows, self_weights);
}

Tensor Seq2Seq::decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src, std::vector<DecoderCache>* caches,
                       std::vector<Tensor>* cross_weights, std::vector<Tensor>* self_weights) const {
  Tensor h = decode_hidden(tgt_in, memory, src, caches, cross_weights, nullptr, self_weights);
  return matmul(h, lm_head.transpose(0, 1));  // [B,T,d] x [d,V] -> [B,T,V]
}

namespace {

// The rows of a batch whose values can reach the loss: every source token (a padded
// source is a masked key), and every target position up to its sequence's last target (a
// later one is neither scored nor seen by a scored position, the decoder being causal).
// Both subsets get the same size, so a step's row-skipping tensors come in one size.
struct LossRows {
  RowSubset source, target;
};

LossRows rows_reaching_the_loss(const std::vector<int64_t>& src_ids, const std::vector<int64_t>& tgt_ids, int64_t T,
                                int64_t pad_id) {
  std::vector<bool> source_keep(src_ids.size()), target_keep(tgt_ids.size(), false);
  for (size_t i = 0; i < src_ids.size(); ++i) source_keep[i] = src_ids[i] != pad_id;
  for (int64_t row = 0; row < static_cast<int64_t>(tgt_ids.size()); row += T) {
    int64_t last = row - 1;
    for (int64_t t = row; t < row + T; ++t)
      if (tgt_ids[t] != pad_id) last = t;
    for (int64_t t = row; t <= last; ++t) target_keep[t] = true;
  }
  const int64_t rows = std::max(std::count(source_keep.begin(), source_keep.end(), true),
                                std::count(target_keep.begin(), target_keep.end(), true));
  return {row_subset(source_keep, rows), row_subset(target_keep, rows)};
}

}  // namespace

Tensor Seq2Seq::loss(const Tensor& src, const Tensor& tgt_in, const Tensor& tgt_out, double label_smoothing) const {
  QKV_CHECK(tgt_out.shape() == tgt_in.shape(), "seq2seq loss: targets {} do not match decoder inputs {}", describe(tgt_out),
        describe(tgt_in));
  const std::vector<int64_t> ids = tgt_out.reshape({-1}).to_vector<int64_t>();
  const LossRows rows = rows_reaching_the_loss(src.to_vector<int64_t>(), ids, tgt_out.size(-1), pad_id_);
  Tensor memory = encode(src, &rows.source);
  Tensor h = decode_hidden(tgt_in, memory, src, nullptr, nullptr, &rows.target).reshape({-1, cfg_.n_embd});
  Tensor targets = tgt_out.reshape({-1});
  // The output projection and the softmax on the same rows: a dropped position's logits
  // would be computed and then ignored (a quarter of the rows at lengths T/2..T, and the
  // [rows, V] projection is the step's largest GEMM). Pads among the kept rows (inside a
  // sequence, or added to round the subset's size) are left out by ignore_index.
  if (rows.target.kept.defined()) {
    h = take_rows(h, &rows.target);
    std::vector<int64_t> kept_ids;
    for (int64_t row : rows.target.kept.to_vector<int64_t>()) kept_ids.push_back(ids[row]);
    targets = Tensor::from(kept_ids, {static_cast<int64_t>(kept_ids.size())});
  }
  Tensor logits = matmul(h, lm_head.transpose(0, 1));  // [rows, d] x [d, V]
  CrossEntropyOptions opt;
  opt.ignore_index = pad_id_;
  opt.label_smoothing = label_smoothing;
  return cross_entropy(logits, targets, opt);
}

Tensor Seq2Seq::greedy(const Tensor& src, int64_t bos_id, int64_t eos_id, int64_t max_len) const {
  QKV_CHECK(max_len >= 1 && max_len <= cfg_.block_size, "seq2seq greedy: max_len {} outside [1, block_size {}]", max_len,
        cfg_.block_size);
  QKV_CHECK(src.dim() == 2 && src.size(0) > 0, "seq2seq greedy: expected source ids [B,S] with B > 0, got {}",
        describe(src));
  NoGradGuard no_grad;
  const int64_t B = src.size(0);
  Tensor memory = encode(src);  // once; each layer's cross cache keeps its k/v after the first step
  std::vector<DecoderCache> caches = make_caches();
  std::vector<int64_t> step_ids(static_cast<size_t>(B), bos_id);
  std::vector<bool> done(static_cast<size_t>(B), false);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  for (int64_t t = 0; t < max_len; ++t) {
    Tensor logits = decode(Tensor::from(step_ids, {B, 1}), memory, src, &caches);  // [B,1,V]
    std::vector<int64_t> best = max(logits.reshape({B, cfg_.vocab_size}), 1).second.to_vector<int64_t>();
    bool all_done = true;
    for (size_t b = 0; b < static_cast<size_t>(B); ++b) {
      step_ids[b] = done[b] ? pad_id_ : best[b];
      out[b].push_back(step_ids[b]);
      done[b] = done[b] || best[b] == eos_id;
      all_done = all_done && done[b];
    }
    if (all_done) break;
  }
  std::vector<int64_t> flat;
  for (const auto& row : out) flat.insert(flat.end(), row.begin(), row.end());
  return Tensor::from(flat, {B, static_cast<int64_t>(out[0].size())});
}

}  // namespace qkv::nn
