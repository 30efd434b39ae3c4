// Counts from the config alone. Each layer's count mirrors its constructor (attention.cpp,
// mlp.cpp, blocks.cpp, gpt.cpp, seq2seq.cpp); the tests hold count_parameters(cfg) to
// model.num_parameters() for every variant, so the two cannot drift apart silently.
//
// FLOPs per token for training (forward + backward = 3 x forward), docs/design.md section 8:
//   6 x W   W = every weight a token is multiplied through in a matrix product: the
//           q/k/v/o projections, bilinear matrices, MLP, LM head (tied or not). Embedding
//           lookups, biases, norms, activations, softmax and masks are not counted: they
//           are O(d) per token.
// + 3 x L x T x P   per layer, T = block_size keys per query (the full T x T product is
//           computed and masked, so causal halves nothing) and P the forward cost of one
//           (query, key) pair summed over the H query heads:
//             weighted sum of values                2 dh
//             the score                             its descriptor's pair_flops
//                                                   (nn/score_kinds.cpp): dot, rbf, cosine
//                                                   2 dh, additive 4 dh
//             qk bilinear     (x W_h) . m           dot over d-wide keys, 2 d (x W_h itself
//                                                   is 2 d^2 per head per query, counted in W)
//           so the standard dot attention gives 3 x T x H x 4 dh = 12 T d per layer: the
//           12 x n_layer x block_size x d of docs/design.md section 8. GQA shrinks the k/v weights only
//           (keys and values are shared, scores are still per query head).
// Seq2seq, per target token, with the source as long as the target (S = T = block_size,
// one source token per target token): encoder weights and encoder self-attention over S,
// decoder weights and causal self-attention over T, cross-attention over S (its k/v
// projections run on source tokens, one per target token), and the LM head. The merged
// decoder replaces self-attention by the running average, a [T,T] x [T,d] product: 2 d
// per pair, and adds avg_proj and the shared o_proj to W.
#include "nn/count.h"

#include "nn/blocks.h"

namespace qkv::nn {

namespace {

// What one component costs: its parameters, the weights one token goes through in
// matrix products, and the forward FLOPs of one (query, key) pair.
struct Cost {
  int64_t params = 0;
  int64_t matmul_weights = 0;
  double pair_flops = 0;

  Cost& operator+=(const Cost& o) {
    params += o.params;
    matmul_weights += o.matmul_weights;
    pair_flops += o.pair_flops;
    return *this;
  }
  Cost operator*(int64_t n) const { return {params * n, matmul_weights * n, pair_flops * static_cast<double>(n)}; }
};

Cost operator+(Cost a, const Cost& b) { return a += b; }

Cost linear(int64_t in, int64_t out, bool bias) { return {in * out + (bias ? out : 0), in * out, 0}; }

Cost layer_norm(const ModelConfig& m) { return {m.n_embd * (m.bias ? 2 : 1), 0, 0}; }

Cost mlp(const ModelConfig& m) {
  Cost c = linear(m.n_embd, m.hidden(), m.bias) + linear(m.hidden(), m.n_embd, m.bias);
  if (m.mlp == MlpKind::swiglu) c += linear(m.n_embd, m.hidden(), m.bias);  // gate
  return c;
}

// As MultiHeadAttention's constructor: bilinear replaces q_proj and k_proj by H d x d
// matrices; shared qk registers q_proj once but multiplies queries and keys by it.
Cost attention(const AttentionOptions& a) {
  a.validate();
  const AttentionConfig& v = a.variant;
  const int64_t d = a.d_model, H = a.n_head, dh = a.dh(), q_dim = H * dh, kv_dim = a.hkv() * dh;
  const bool bilinear = v.qk == QKMode::bilinear;
  const ScoreKindSpec& score = score_kind(v.score);
  Cost c;
  if (bilinear) {
    c.params += H * d * d;
    c.matmul_weights += H * d * d;
  } else {
    if (v.q_proj) c += linear(d, q_dim, a.bias);
    if (v.k_proj) {
      Cost k = linear(d, kv_dim, a.bias);
      if (v.qk == QKMode::shared) k.params = 0;  // k_proj is q_proj
      c += k;
    }
  }
  if (v.v_proj) c += linear(d, kv_dim, a.bias);
  if (v.o_proj) c += linear(q_dim, d, a.bias);
  c.params += score.param_count(a.score_shape());
  const int64_t key_width = bilinear ? d : dh;
  c.pair_flops = static_cast<double>(H) * (score.pair_flops(key_width) + 2.0 * static_cast<double>(dh));
  return c;
}

// One of the model's attentions, as its block builds it.
Cost attention(const ModelConfig& m, AttentionRole role) {
  return attention(BlockOptions{m, m.n_layer, nullptr}.attention(role));
}

Cost decoder_block(const ModelConfig& m) {
  return layer_norm(m) * 2 + attention(m, AttentionRole::decoder) + mlp(m);
}

Cost encoder_block(const ModelConfig& m) {
  return layer_norm(m) * 2 + attention(m, AttentionRole::encoder) + mlp(m);
}

Cost cross_decoder_block(const ModelConfig& m) {
  return layer_norm(m) * 3 + attention(m, AttentionRole::decoder) + attention(m, AttentionRole::cross) + mlp(m);
}

Cost merged_decoder_block(const ModelConfig& m) {
  const AttentionConfig cross_cfg = m.attention_for(AttentionRole::cross);  // avg_proj and o_proj follow it
  AttentionOptions cross = BlockOptions{m, m.n_layer, nullptr}.attention(AttentionRole::cross);
  cross.variant.o_proj = false;
  Cost c = layer_norm(m) * 2 + attention(cross) + mlp(m);
  c.pair_flops += 2.0 * static_cast<double>(m.n_embd);            // the running average, a [T,T] x [T,d] product
  if (cross_cfg.v_proj) c += linear(m.n_embd, m.n_embd, m.bias);  // avg_proj
  if (cross_cfg.o_proj) c += linear(m.n_embd, m.n_embd, m.bias);  // o_proj
  return c;
}

// Embeddings, final norms and the head around the blocks.
Cost model_ends(const ModelConfig& m, int64_t final_norms) {
  const int64_t table = m.vocab_size * m.n_embd;
  Cost c{table, table, 0};  // the head multiplies by the table (tied) or its own copy
  if (!m.tie_embeddings) c.params += table;
  if (m.positions == Positions::learned) c.params += m.block_size * m.n_embd;
  return c + layer_norm(m) * final_norms;
}

Cost model_cost(const ModelConfig& m) {
  QKV_CHECK(m.override_problem().empty(), "model: {}", m.override_problem());
  if (m.kind == ModelKind::gpt) return model_ends(m, 1) + decoder_block(m) * m.n_layer;
  Cost decoder = m.merged ? merged_decoder_block(m) : cross_decoder_block(m);
  return model_ends(m, 2) + (encoder_block(m) + decoder) * m.n_layer;
}

}  // namespace

int64_t count_parameters(const ModelConfig& cfg) { return model_cost(cfg).params; }

double training_flops_per_token(const ModelConfig& cfg) {
  Cost c = model_cost(cfg);
  return 6.0 * static_cast<double>(c.matmul_weights) + 3.0 * static_cast<double>(cfg.block_size) * c.pair_flops;
}

}  // namespace qkv::nn
