// Memory from the config alone, in f32 floats per token, then bytes.
//
// Weights: count_parameters (nn/count.h); training adds one gradient per weight and the
// optimizer's state tensors (AdamW: 2).
//
// Activations: what the tape holds when one micro-batch's forward ends (every op's output
// and what its backward saved), per token of the batch, counted from the forwards in
// nn/*.cpp and checked against the allocator's peak-in-use counter (sizes rounded to
// their class, so the allocator's slack is in the numbers):
//   a GPT block with the gelu MLP and the fused dot attention keeps 10 d + h + H T:
//     norms 2 d, q/k/v projections 3 d, the heads d, o_proj d, residual sums 2 d, the
//     MLP's hidden layer h (gelu_mlp keeps only it) and its output d; the fused op keeps
//     one weight buffer, H x T per query (measured: 14.0 d + H T at d = 128, h = 4 d);
//   residual dropout keeps its output and its mask, 2 d per sublayer; the fused op
//   redraws its mask in the backward;
//   the composed attention path (other scores, bilinear) keeps kept_per_pair [B,H,T,S]
//   maps per pair (nn/score_kinds.h), the weights, dropout's output and mask, and
//   contiguous copies of q, k, v (3 d): rbf measured 7.5 maps + 3 d, additive 3 dh + 2;
//   swiglu keeps gate, fc, silu and their product, 4 h, where gelu keeps h;
//   rope keeps apply_rope's negated half, concat, two products and sum of q and k
//   (measured 10.5 d a layer; counted 5 x (q + k widths));
//   the ends: token and position embeddings and their sum (3 d; rope: d), the final norm
//   d, the logits V (measured 3.7 d + V);
//   the backward's peak on top: the logits' gradient and about one layer's gradients,
//   V + 10 d (measured: max(V + 3.7 d, 10.5 d)), and a composed score's gradient maps.
// Seq2seq counts the source as long as the target (block_size each): an upper bound,
// since padded rows are left out of the step (nn/row_subset.h).
//
// Runtime: qkv itself with its libraries is 15 MiB (qkv --help), OpenMP and BLAS thread
// buffers and a corpus the size of the KJV (4 MB of text, its splits and token ids) bring
// gpt-tiny at batch 1 to 52 MiB peak RSS; counted as 64 MiB.
//
// Measured against peak RSS (/usr/bin/time -v; qkv train on the KJV, 2 threads, through
// the first optimizer step and an evaluation; the estimate with the real vocabulary):
//   config                                     estimate   peak RSS
//   gpt-tiny (batch 12, block 64)               106 MiB     82 MiB
//   gpt-tiny, batch 192                         551 MiB    557 MiB
//   gpt-tiny, batch 48, block 256               695 MiB    708 MiB
//   gpt-tiny, 8 layers, batch 192               947 MiB    957 MiB
//   gpt-small (6 x 384, batch 64, block 256)   3788 MiB   3898 MiB
//   translate-kjv-es (seq2seq, bpe 8000)       1130 MiB    355 MiB
// Seq2seq is the worst case (above): KJV verse pairs are far shorter than the 128-token
// block. With full-length pairs its activations are within 12% of the allocator's peak
// (tests/test_memory_budget.cpp).
#include "nn/memory_estimate.h"

#include <algorithm>

#include "nn/attention.h"
#include "nn/blocks.h"
#include "nn/count.h"

namespace qkv::nn {

namespace {

constexpr double kFloatBytes = 4;
constexpr double kRuntimeBytes = 64.0 * 1024 * 1024;

struct Dims {
  double d, h, V, T, L;
  explicit Dims(const ModelConfig& m)
      : d(static_cast<double>(m.n_embd)),
        h(static_cast<double>(m.hidden())),
        V(static_cast<double>(m.vocab_size)),
        T(static_cast<double>(m.block_size)),
        L(static_cast<double>(m.n_layer)) {}
};

// Kept per query token by one attention over `keys` keys, and the backward's extra for
// its scores (a composed score's gradient maps).
struct AttentionKept {
  double forward = 0, backward = 0;
};

AttentionKept attention_kept(const AttentionOptions& a, double keys) {
  const AttentionConfig& v = a.variant;
  const auto d = static_cast<double>(a.d_model), H = static_cast<double>(a.n_head);
  const double q_dim = H * static_cast<double>(a.dh()), kv_dim = static_cast<double>(a.hkv() * a.dh());
  const bool bilinear = v.qk == QKMode::bilinear;
  // A removed projection is counted as kept: the estimate errs high.
  double f = (bilinear ? H * d : q_dim) + 2 * kv_dim + q_dim + (v.o_proj ? d : 0);
  if (a.rope) f += 5 * (q_dim + kv_dim);  // apply_rope: the negated half, the concat, two products, the sum
  const ScoreKindSpec& score = score_kind(v.score);
  if (score.fused && !bilinear) return {f + H * keys, 0};
  const double pair = score.kept_per_pair(bilinear ? a.d_model : a.dh());
  const double maps = pair + 1 + (a.dropout > 0 ? 2 : 0);
  return {f + 3 * d + H * keys * maps, H * keys * pair};
}

AttentionKept attention_kept(const ModelConfig& m, AttentionRole role, double keys) {
  return attention_kept(BlockOptions{m, m.n_layer, nullptr}.attention(role), keys);
}

double mlp_kept(const ModelConfig& m, const Dims& x) {
  return (m.mlp == MlpKind::swiglu ? 4 * x.h : x.h) + x.d;
}

// A residual sublayer's norm output and sum, and its dropout's output and mask.
double sublayers_kept(const ModelConfig& m, const Dims& x, int n) {
  return n * (2 * x.d + (m.dropout > 0 ? 2 * x.d : 0));
}

// Embeddings of one side: tokens, positions and their sum (rope: tokens only), dropout.
double embedding_kept(const ModelConfig& m, const Dims& x) {
  return (m.positions == Positions::rope ? x.d : 3 * x.d) + (m.dropout > 0 ? 2 * x.d : 0);
}

// Per target token: every layer, the ends, and the backward's peak on top.
double training_floats_per_token(const ModelConfig& m) {
  const Dims x(m);
  double layers = 0, ends = 0, score_grads = 0;
  auto add = [&](AttentionKept a) {
    layers += a.forward;
    score_grads = std::max(score_grads, a.backward);
  };
  if (m.kind == ModelKind::gpt) {
    add(attention_kept(m, AttentionRole::decoder, x.T));
    layers += sublayers_kept(m, x, 2) + mlp_kept(m, x);
    ends = embedding_kept(m, x) + x.d;
  } else {
    // An encoder block, and a decoder block's cross-attention, MLP and two sublayers.
    add(attention_kept(m, AttentionRole::encoder, x.T));
    add(attention_kept(m, AttentionRole::cross, x.T));
    layers += 2 * (sublayers_kept(m, x, 2) + mlp_kept(m, x));
    if (m.merged) {
      layers += 5 * x.d;  // avg_proj, the running average (prefix sums, counts), the sum, o_proj
    } else {
      add(attention_kept(m, AttentionRole::decoder, x.T));
      layers += sublayers_kept(m, x, 1);
    }
    ends = 2 * embedding_kept(m, x) + 2 * x.d;  // both sides' embeddings and final norms
  }
  const double backward = x.V + 10 * x.d + score_grads;
  return x.L * layers + ends + x.V + backward;
}

// Per row and per token of a full block: the key/value caches of every layer (the cross
// caches hold the source's; the encoder's output is kept once).
double cache_floats_per_token(const ModelConfig& m) {
  const Dims x(m);
  auto kv = [&](AttentionRole role) {
    AttentionOptions a = BlockOptions{m, m.n_layer, nullptr}.attention(role);
    return a.variant.qk == QKMode::bilinear ? 2 * x.d : 2 * static_cast<double>(a.hkv() * a.dh());
  };
  if (m.kind == ModelKind::gpt) return x.L * kv(AttentionRole::decoder);
  const double self = m.merged ? x.d : kv(AttentionRole::decoder);  // merged: the running sum
  return x.L * (self + kv(AttentionRole::cross)) + x.d;
}

// One layer's work on `tokens` queries per row without the tape: its widest tensors
// (attention over the whole block and its weights, the MLP's hidden layer), and the logits.
double inference_step_floats(const ModelConfig& m, double tokens) {
  const Dims x(m);
  const AttentionKept a = attention_kept(m, m.kind == ModelKind::gpt ? AttentionRole::decoder : AttentionRole::cross, x.T);
  return tokens * (a.forward + a.backward + mlp_kept(m, x) + 4 * x.d + x.V);
}

double weight_bytes(const ModelConfig& m) { return static_cast<double>(count_parameters(m)) * kFloatBytes; }

}  // namespace

MemoryEstimate estimate_training_memory(const ModelConfig& m, int64_t batch, int64_t optimizer_slots) {
  MemoryEstimate e;
  e.parameters = weight_bytes(m);
  e.gradients = e.parameters;
  e.optimizer_state = static_cast<double>(optimizer_slots) * e.parameters;
  const double tokens = static_cast<double>(batch) * static_cast<double>(m.block_size);
  e.activations = tokens * training_floats_per_token(m) * kFloatBytes;
  e.runtime = kRuntimeBytes;
  return e;
}

MemoryEstimate estimate_inference_memory(const ModelConfig& m, int64_t full_rows, int64_t decoding_rows) {
  MemoryEstimate e;
  e.parameters = weight_bytes(m);
  const double T = static_cast<double>(m.block_size);
  const double full = static_cast<double>(full_rows) * inference_step_floats(m, T);
  const double decoding =
      static_cast<double>(decoding_rows) * (T * cache_floats_per_token(m) + inference_step_floats(m, 1));
  e.activations = (full + decoding) * kFloatBytes;
  e.runtime = kRuntimeBytes;
  return e;
}

}  // namespace qkv::nn
