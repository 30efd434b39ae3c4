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
// - Cross-attention is never causal: options.causal is ignored when cross = true.
// - Each score kind (its parameter, forward and cost) is a descriptor in
//   nn/score_kinds.cpp; bilinear computes its score with dot's.
// - The weights returned by need_weights are the normalised weights, before attention dropout.
// - normalize = queries is refused where a position would see later ones (causal
//   self-attention, cross-attention); in self-attention with key padding a padded
//   position is not a query either (docs/design.md section 3, Normalization).
// - With RoPE, cross-attention rotates keys by their memory positions 0..S-1 and
//   queries by their target positions (KVCache::queries carries them across steps).
// - Self-attention given a memory uses it for keys/values, PyTorch's key = value.
#include "nn/attention.h"

#include <cmath>
#include <vector>

#include "autograd/autograd.h"

namespace qkv::nn {

namespace {

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
    QKV_CHECK(score_kind(v.score).accepts_bilinear,
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
  // Over queries, key j's weights are normalised over every query, later ones included.
  QKV_CHECK(v.normalize != Normalize::queries || !cross,
            "attention: normalize = queries cannot be used in cross-attention: each source position's weights would "
            "be normalised over every target position, so a target position would see later ones (use it in an "
            "encoder's self-attention: attention.encoder.normalize = \"queries\")");
  QKV_CHECK(v.normalize != Normalize::queries || !causal,
            "attention: normalize = queries cannot be used in causal self-attention: each key's weights would be "
            "normalised over every query, so a position would see later ones (use it in an encoder's "
            "self-attention: attention.encoder.normalize = \"queries\")");
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
  enum Slot { kQ, kK, kV, kO, kBilinear, kScore, kSlots };
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
  const ScoreKindSpec& score = score_kind(v.score);
  if (score.param_name)
    score_param = register_parameter(score.param_name, score.param_init(opt.score_shape(), slot[kScore]));
}

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
  const bool causal = opt_.causal && !opt_.cross;
  const bool dropping = training() && opt_.dropout > 0;
  QKV_CHECK(!dropping || dropout_gen_ != nullptr, "attention: dropout = {} in training needs a dropout generator",
        opt_.dropout);
  AttentionMask mask{causal, past, key_padding, Tensor()};
  // A padded position is no query either: otherwise, over queries, a batch's padding
  // would take attention away from its real positions.
  if (v.normalize == Normalize::queries && key_padding.defined() && !opt_.cross && !memory.defined())
    mask.query_padding = slice(key_padding, 1, past, past + T);
  const NormalizeOptions normalize{v.normalize, std::nullopt};
  Tensor heads, weights;  // [B, H, T, dh] and [B, H, T, S]
  const ScoreKindSpec& score = score_kind(v.score);
  if (score.fused && !is_bilinear && !need_weights) {
    // Grouped heads are indexed by the op: k and val stay [B, Hkv, S, dh]. Its dropout
    // draws the same mask as the composed path below.
    heads = scaled_dot_attention(q, k, val, 1.0 / std::sqrt(static_cast<double>(opt_.dh())), mask, normalize,
                                 dropping ? opt_.dropout : 0.0, dropout_gen_);
  } else {
    // Bilinear: q = x W_h against k = memory [B, 1, S, d], broadcast over heads.
    Tensor scores = score.scores(q, is_bilinear ? k : repeat_kv(k, H), opt_.score_shape(), score_param);
    // Masked entries get weight 0 and a row or column without any allowed entry is all
    // zeros, with zero gradient: never NaN.
    weights = attention_weights(scores, mask, normalize);
    Tensor used = weights;
    if (dropping) used = dropout(weights, opt_.dropout, true, *dropout_gen_);
    heads = matmul(used, repeat_kv(val, H));
  }
  Tensor out = merge_heads(heads);
  if (o_proj) out = o_proj->forward(out);
  return {out, need_weights ? weights : Tensor()};
}

}  // namespace qkv::nn
