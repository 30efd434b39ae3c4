// MultiHeadAttention (docs/design.md section 3), composed from autograd ops: every variant
// is differentiated by the tape. The plain dot-product score (qk separate or shared)
// runs through the fused scaled_dot_attention op instead (attention dropout included,
// with the same mask), unless the weights are asked for: one tape entry and one
// [B,H,T,S] buffer instead of the scores, masks and softmax as separate tensors.
//
// Choices the design leaves open, made here:
// - qk = bilinear builds no q_proj / k_proj at all (the q_proj / k_proj switches are
//   ignored): the per-head d x d matrix replaces both. It defines the score itself, so
//   score must be dot, and it cannot take RoPE.
// - Cross-attention is never causal: variant.causal is ignored when cross = true.
// - score = cosine: tau starts at 10 for every head (a plain cosine in [-1, 1] is too
//   flat for the softmax); q and k are normalised as q / sqrt(|q|^2 + 1e-6).
// - The weights returned by need_weights are the softmax, before attention dropout.
// - With RoPE, cross-attention rotates keys by their memory positions 0..S-1 and
//   queries by their target positions (KVCache::queries carries them across steps).
// - Self-attention given a memory uses it for keys/values, PyTorch's key = value.
#include "nn/attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/autograd.h"

namespace qkv::nn {

namespace {

constexpr double kCosineEps = 1e-6;
constexpr double kCosineTauInit = 10.0;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// [B, L, n * e] -> [B, n, L, e]: head h reads columns [h*e, (h+1)*e).
Tensor split_heads(const Tensor& t, int64_t n) {
  return t.reshape({t.size(0), t.size(1), n, t.size(2) / n}).permute({0, 2, 1, 3});
}

// [B, H, T, e] -> [B, T, H * e], the inverse of split_heads.
Tensor merge_heads(const Tensor& t) {
  return t.permute({0, 2, 1, 3}).reshape({t.size(0), t.size(2), t.size(1) * t.size(3)});
}

// A removed projection is the identity.
Tensor project(const std::shared_ptr<Linear>& proj, const Tensor& x) { return proj ? proj->forward(x) : x; }

// Grouped-query attention: [B, Hkv, S, e] -> [B, H, S, e], where query head h reads
// key/value head h / (H / Hkv) (each group of consecutive query heads shares one).
Tensor repeat_kv(const Tensor& t, int64_t H) {
  const int64_t B = t.size(0), Hkv = t.size(1), S = t.size(2), e = t.size(3);
  if (Hkv == H) return t;
  return t.unsqueeze(2).expand({B, Hkv, H / Hkv, S, e}).reshape({B, H, S, e});
}

Tensor squared_norm(const Tensor& t) { return sum(t * t, {-1}, true); }  // [..., L, 1]

Tensor keys_t(const Tensor& k) { return k.transpose(-2, -1); }

// Checks that t is [B, L, d] (B < 0: any batch), e.g. "expected memory [2,S,8], got ...".
void check_sequence(const Tensor& t, const char* name, const char* length, int64_t B, int64_t d) {
  QKV_CHECK(t.defined() && t.dim() == 3 && (B < 0 || t.size(0) == B) && t.size(2) == d,
        "attention: expected {} [{},{},{}], got {}", name, B < 0 ? std::string("B") : std::to_string(B), length, d,
        t.defined() ? describe(t) : std::string("an undefined tensor"));
}

}  // namespace

void AttentionOptions::validate() const {
  const AttentionConfig& v = variant;
  QKV_CHECK(d_model > 0 && n_head > 0, "attention: n_embd and n_head must be positive (got {} and {})", d_model, n_head);
  QKV_CHECK(head_dim >= 0, "attention: head_dim must be >= 0 (0 means n_embd / n_head), got {}", head_dim);
  QKV_CHECK(head_dim > 0 || d_model % n_head == 0,
        "attention: n_embd must be divisible by n_head when head_dim is not set ({} % {} != 0)", d_model, n_head);
  QKV_CHECK(v.kv_heads >= 0, "attention: kv_heads must be >= 0 (0 means n_head), got {}", v.kv_heads);
  QKV_CHECK(n_head % hkv() == 0, "attention: n_head must be a multiple of kv_heads ({} % {} != 0)", n_head, hkv());
  QKV_CHECK(dropout >= 0 && dropout < 1, "attention: dropout must be in [0, 1), got {}", dropout);
  const int64_t q_dim = n_head * dh(), kv_dim = hkv() * dh();
  // An identity projection reads head h from columns [h*dh, (h+1)*dh) of its input.
  auto check_identity_kv = [&](bool on, const char* proj) {
    QKV_CHECK(on || hkv() == n_head, "attention: {} = false needs kv_heads == n_head ({} != {})", proj, hkv(), n_head);
    QKV_CHECK(on || kv_dim == d_model, "attention: {} = false needs kv_heads * head_dim == n_embd ({} * {} != {})", proj,
          hkv(), dh(), d_model);
  };

  if (v.qk == QKMode::bilinear) {
    QKV_CHECK(!rope,
          "attention: qk = bilinear cannot be combined with rope: the rotation must sit between Wq and Wk, "
          "which bilinear merges into one matrix");
    QKV_CHECK(v.score == ScoreKind::dot,
          "attention: qk = bilinear defines the score itself (x W m^T / sqrt(dh)); score = {} cannot be combined "
          "with it",
          name_of(v.score));
  } else {  // bilinear builds neither q_proj nor k_proj, so their switches do not apply
    QKV_CHECK(v.q_proj || q_dim == d_model, "attention: q_proj = false needs n_head * head_dim == n_embd ({} * {} != {})",
          n_head, dh(), d_model);
    check_identity_kv(v.k_proj, "k_proj");
  }
  check_identity_kv(v.v_proj, "v_proj");
  QKV_CHECK(v.o_proj || q_dim == d_model, "attention: o_proj = false needs n_head * head_dim == n_embd ({} * {} != {})",
        n_head, dh(), d_model);

  if (v.qk == QKMode::shared) {
    QKV_CHECK(v.q_proj == v.k_proj,
          "attention: qk = shared needs q_proj and k_proj both on or both off (q_proj = {}, k_proj = {})", v.q_proj,
          v.k_proj);
    QKV_CHECK(hkv() == n_head, "attention: qk = shared needs kv_heads == n_head ({} != {}): Wk = Wq makes as many key heads "
          "as query heads", hkv(), n_head);
  }
  if (rope) {
    QKV_CHECK(dh() % 2 == 0, "attention: rope needs an even head_dim, got {}", dh());
    QKV_CHECK(rope_base > 0, "attention: rope_base must be positive, got {}", rope_base);
  }
}

MultiHeadAttention::MultiHeadAttention(const AttentionOptions& opt, Generator& gen, Generator* dropout_gen)
    : opt_(opt), dropout_gen_(dropout_gen) {
  opt.validate();  // before any parameter exists
  const AttentionConfig& v = opt.variant;
  const int64_t d = opt.d_model, H = opt.n_head, q_dim = H * opt.dh(), kv_dim = opt.hkv() * opt.dh();
  // One generator per parameter slot, forked whether or not this variant has the slot:
  // the layer always takes the same draws from `gen`, so a variant without Wq starts
  // Wk, Wv, Wo, the MLP and every later layer from the same values as the full model
  // (what the ablation study needs to compare variants from one starting point).
  enum Slot { kQ, kK, kV, kO, kBilinear, kScoreV, kSlots };
  std::vector<Generator> slot;
  for (int i = 0; i < kSlots; ++i) slot.emplace_back(gen.next_u64());
  auto linear = [&](const char* name, int64_t in, int64_t out, double std, Slot s) {
    return register_module(name, std::make_shared<Linear>(in, out, opt.bias, slot[s], std));
  };
  if (v.qk == QKMode::bilinear) {
    bilinear = register_parameter("bilinear", randn({H, d, d}, slot[kBilinear], DType::f32, 0.0, opt.init_std));
  } else {
    if (v.q_proj) q_proj = linear("q_proj", d, q_dim, opt.init_std, kQ);
    if (v.qk == QKMode::shared)
      k_proj = q_proj;  // the same parameters, registered once
    else if (v.k_proj)
      k_proj = linear("k_proj", d, kv_dim, opt.init_std, kK);
  }
  if (v.v_proj) v_proj = linear("v_proj", d, kv_dim, opt.init_std, kV);
  if (v.o_proj) o_proj = linear("o_proj", q_dim, d, opt.out_init_std, kO);
  if (v.score == ScoreKind::cosine) tau = register_parameter("tau", full({H}, kCosineTauInit));
  if (v.score == ScoreKind::additive)
    score_v = register_parameter("score_v", randn({H, opt.dh()}, slot[kScoreV], DType::f32, 0.0, opt.init_std));
}

namespace {

// Scores [B, H, T, S] of queries q [B, H, T, e] against keys k [B, H, S, e] (for
// bilinear, q = x W_h and k = memory [B, 1, S, d], broadcast over heads).
Tensor attention_scores(const MultiHeadAttention& m, const Tensor& q, const Tensor& k) {
  const AttentionOptions& opt = m.options();
  const double root_dh = std::sqrt(static_cast<double>(opt.dh()));
  const int64_t H = opt.n_head;
  switch (opt.variant.score) {
    case ScoreKind::dot:  // q k^T / sqrt(dh); bilinear: x W_h m^T / sqrt(dh)
      return matmul(q, keys_t(k)) * (1.0 / root_dh);
    case ScoreKind::rbf:  // -|q - k|^2 / (2 sqrt(dh)) = (2 q.k - |q|^2 - |k|^2) / (2 sqrt(dh))
      return (matmul(q, keys_t(k)) * 2.0 - squared_norm(q) - keys_t(squared_norm(k))) * (1.0 / (2.0 * root_dh));
    case ScoreKind::cosine: {  // tau_h * cos(q, k)
      auto unit = [](const Tensor& t) { return t * rsqrt(squared_norm(t) + kCosineEps); };
      return matmul(unit(q), keys_t(unit(k))) * m.tau.reshape({1, H, 1, 1});
    }
    case ScoreKind::additive: {  // v_h^T tanh(q_i + k_j), materialised as [B, H, T, S, dh]
      Tensor hidden = tanh(q.unsqueeze(3) + k.unsqueeze(2));
      return sum(hidden * m.score_v.reshape({1, H, 1, 1, opt.dh()}), {-1});
    }
  }
  fail("attention: unknown score kind");
}

}  // namespace

AttentionOutput MultiHeadAttention::forward(const Tensor& x, const Tensor& memory, const Tensor& key_padding,
                                            KVCache* cache, bool need_weights) const {
  const AttentionConfig& v = opt_.variant;
  const int64_t H = opt_.n_head, Hkv = opt_.hkv(), d = opt_.d_model;
  const bool is_bilinear = v.qk == QKMode::bilinear;
  check_sequence(x, "x", "T", -1, d);
  const int64_t B = x.size(0), T = x.size(1);

  // Cross-attention computes the memory's keys and values once per cache.
  const bool reuse_memory = opt_.cross && cache && cache->k.defined();
  QKV_CHECK(!opt_.cross || memory.defined() || reuse_memory,
        "attention: cross-attention needs memory [B,S,{}] (or a cache holding its keys and values)", d);
  const Tensor& source = memory.defined() ? memory : x;
  if (!reuse_memory && memory.defined()) check_sequence(memory, "memory", "S", B, d);
  // Absolute positions: self-attention's cached keys are the earlier positions of x;
  // cross-attention's cache holds the memory, so the target side counts its own.
  const int64_t past = (cache && !opt_.cross) ? cache->length() : 0;
  const int64_t q_offset = opt_.cross ? (cache ? cache->queries : 0) : past;

  Tensor q = is_bilinear ? matmul(x.unsqueeze(1), bilinear) : split_heads(project(q_proj, x), H);
  if (opt_.rope) q = apply_rope(q, q_offset, opt_.rope_base);

  Tensor k, val;
  if (reuse_memory) {
    k = cache->k;
    val = cache->v;
  } else {
    k = is_bilinear ? source.unsqueeze(1) : split_heads(project(k_proj, source), Hkv);
    val = split_heads(project(v_proj, source), Hkv);
    if (opt_.rope) k = apply_rope(k, past, opt_.rope_base);  // keys at their absolute positions
    if (cache) {
      if (past > 0) {
        QKV_CHECK(cache->k.size(0) == B, "attention: cache holds batch {}, x has batch {}", cache->k.size(0), B);
        k = concat({cache->k, k}, 2);
        val = concat({cache->v, val}, 2);
      }
      cache->k = k;
      cache->v = val;
    }
  }
  if (cache) cache->queries += T;
  const int64_t S = k.size(2);

  if (key_padding.defined())
    QKV_CHECK(key_padding.dim() == 2 && key_padding.size(0) == B && key_padding.size(1) == S,
          "attention: key_padding must be [B,S] = [{},{}], got {}", B, S, describe(key_padding));
  // Query t sits at absolute position past + t and sees keys j <= past + t.
  const bool causal = v.causal && !opt_.cross;
  const bool dropping = training() && opt_.dropout > 0;
  QKV_CHECK(!dropping || dropout_gen_ != nullptr, "attention: dropout = {} in training needs a dropout generator",
        opt_.dropout);
  Tensor heads, weights;  // [B, H, T, dh] and [B, H, T, S]
  if (v.score == ScoreKind::dot && !is_bilinear && !need_weights) {
    // Grouped heads are indexed by the op: k and val stay [B, Hkv, S, dh]. Its dropout
    // draws the same mask as the composed path below.
    heads = scaled_dot_attention(q, k, val, 1.0 / std::sqrt(static_cast<double>(opt_.dh())), causal, past,
                                 key_padding, dropping ? opt_.dropout : 0.0, dropout_gen_);
  } else {
    Tensor scores = attention_scores(*this, q, is_bilinear ? k : repeat_kv(k, H));
    if (causal) scores = masked_fill(scores, causal_mask(T, S, past), kNegInf);
    if (key_padding.defined()) scores = masked_fill(scores, key_padding.reshape({B, 1, 1, S}), kNegInf);
    // A fully masked row is all -inf: softmax gives zeros there, with zero gradient.
    weights = softmax(scores, -1);
    Tensor used = weights;
    if (dropping) used = dropout(weights, opt_.dropout, true, *dropout_gen_);
    heads = matmul(used, repeat_kv(val, H));
  }
  Tensor out = merge_heads(heads);
  if (o_proj) out = o_proj->forward(out);
  return {out, need_weights ? weights : Tensor()};
}

Tensor apply_rope(const Tensor& x, int64_t offset, double base) {
  check_floating(x, "apply_rope");
  QKV_CHECK(x.dim() >= 2 && x.size(-1) % 2 == 0, "apply_rope: expected [..., T, dh] with an even dh, got {}",
        describe(x));
  QKV_CHECK(offset >= 0, "apply_rope: offset must be >= 0, got {}", offset);
  const int64_t T = x.size(-2), dh = x.size(-1), half = dh / 2;
  // Pair (i, i + dh/2) at position p turns by the angle p * base^(-2i/dh):
  //   out = x * cos + rotate_half(x) * sin,  rotate_half(x) = (-x2, x1).
  std::vector<double> cos_table(T * dh), sin_table(T * dh);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(offset + t) * std::pow(base, -2.0 * static_cast<double>(i) / dh);
      cos_table[t * dh + i] = cos_table[t * dh + i + half] = std::cos(angle);
      sin_table[t * dh + i] = sin_table[t * dh + i + half] = std::sin(angle);
    }
  Tensor cos_t = Tensor::from(cos_table, {T, dh}).to(x.dtype());
  Tensor sin_t = Tensor::from(sin_table, {T, dh}).to(x.dtype());
  Tensor rotated = concat({-x.slice(-1, half, dh), x.slice(-1, 0, half)}, -1);
  return x * cos_t + rotated * sin_t;
}

}  // namespace qkv::nn
