#include "nn/blocks.h"

#include <cmath>
#include <string_view>

#include "autograd/autograd.h"

namespace qkv::nn {

double BlockOptions::out_init_std() const { return 0.02 / std::sqrt(2.0 * static_cast<double>(n_layers_total)); }

AttentionOptions BlockOptions::attention(AttentionRole role) const {
  AttentionOptions a;
  a.d_model = model.n_embd;
  a.n_head = model.n_head;
  a.variant = model.attention_for(role);
  a.causal = role == AttentionRole::decoder && model.causal;
  a.cross = role == AttentionRole::cross;
  a.rope = model.positions == Positions::rope;
  a.bias = model.bias;
  a.dropout = model.dropout;
  a.init_std = 0.02;
  a.out_init_std = out_init_std();
  // With per-attention overrides the three attentions differ, so an impossible one is
  // named: "attention.cross: ..." (docs/design.md section 3).
  if (!model.first_override().empty()) {
    try {
      a.validate();
    } catch (const Error& e) {
      std::string_view why = e.what();
      if (why.starts_with("attention: ")) why.remove_prefix(std::string_view("attention: ").size());
      fail("attention.{}: {}", name_of(role), why);
    }
  }
  return a;
}

namespace {

// The parts every block has: its norms, its MLP and residual dropout.
std::shared_ptr<LayerNorm> make_norm(const BlockOptions& opt) {
  return std::make_shared<LayerNorm>(opt.model.n_embd, opt.model.bias);
}

std::shared_ptr<MLP> make_mlp(const BlockOptions& opt, Generator& gen) {
  const ModelConfig& m = opt.model;
  return std::make_shared<MLP>(m.n_embd, m.hidden(), m.mlp, m.bias, gen, 0.02, opt.out_init_std());
}

std::shared_ptr<Dropout> make_dropout(const BlockOptions& opt) {
  QKV_CHECK(opt.model.dropout == 0.0 || opt.dropout_gen != nullptr, "block: dropout {} needs a dropout generator",
        opt.model.dropout);
  return std::make_shared<Dropout>(opt.model.dropout, opt.dropout_gen);
}

std::shared_ptr<MultiHeadAttention> make_attention(const BlockOptions& opt, Generator& gen, const AttentionOptions& a) {
  return std::make_shared<MultiHeadAttention>(a, gen, opt.dropout_gen);
}

std::shared_ptr<MultiHeadAttention> make_attention(const BlockOptions& opt, Generator& gen, AttentionRole role) {
  return make_attention(opt, gen, opt.attention(role));
}

// x + dropout(sublayer(LN(x))): the pre-LN residual step.
template <typename Sublayer>
Tensor residual(const Tensor& x, const LayerNorm& ln, const Dropout& drop, Sublayer&& sublayer) {
  return x + drop.forward(sublayer(ln.forward(x)));
}

// The MLP sublayer on the given rows only (all rows when null).
Tensor mlp_on(const MLP& mlp, const Tensor& y, const RowSubset* rows) {
  return on_rows(y, rows, [&](const Tensor& r) { return mlp.forward(r); });
}

}  // namespace

// ---------------------------------------------------------------------------- decoder

DecoderBlock::DecoderBlock(const BlockOptions& opt, Generator& gen) {
  ln_1 = register_module("ln_1", make_norm(opt));
  attn = register_module("attn", make_attention(opt, gen, AttentionRole::decoder));
  ln_2 = register_module("ln_2", make_norm(opt));
  mlp = register_module("mlp", make_mlp(opt, gen));
  dropout = register_module("dropout", make_dropout(opt));
}

Tensor DecoderBlock::forward(const Tensor& x, KVCache* cache, Tensor* attn_weights) const {
  Tensor h = residual(x, *ln_1, *dropout, [&](const Tensor& y) {
    AttentionOutput a = attn->forward(y, Tensor(), Tensor(), cache, attn_weights != nullptr);
    if (attn_weights) *attn_weights = a.weights;
    return a.out;
  });
  return residual(h, *ln_2, *dropout, [&](const Tensor& y) { return mlp->forward(y); });
}

// ---------------------------------------------------------------------------- encoder

EncoderBlock::EncoderBlock(const BlockOptions& opt, Generator& gen) {
  ln_1 = register_module("ln_1", make_norm(opt));
  attn = register_module("attn", make_attention(opt, gen, AttentionRole::encoder));
  ln_2 = register_module("ln_2", make_norm(opt));
  mlp = register_module("mlp", make_mlp(opt, gen));
  dropout = register_module("dropout", make_dropout(opt));
}

Tensor EncoderBlock::forward(const Tensor& x, const Tensor& src_padding, Tensor* attn_weights,
                             const RowSubset* rows) const {
  Tensor h = residual(x, *ln_1, *dropout, [&](const Tensor& y) {
    AttentionOutput a = attn->forward(y, Tensor(), src_padding, nullptr, attn_weights != nullptr);
    if (attn_weights) *attn_weights = a.weights;
    return a.out;
  });
  return residual(h, *ln_2, *dropout, [&](const Tensor& y) { return mlp_on(*mlp, y, rows); });
}

// ---------------------------------------------------------------------------- decoder with cross-attention

CrossDecoderBlock::CrossDecoderBlock(const BlockOptions& opt, Generator& gen) {
  ln_1 = register_module("ln_1", make_norm(opt));
  self_attn = register_module("self_attn", make_attention(opt, gen, AttentionRole::decoder));
  ln_2 = register_module("ln_2", make_norm(opt));
  cross_attn = register_module("cross_attn", make_attention(opt, gen, AttentionRole::cross));
  ln_3 = register_module("ln_3", make_norm(opt));
  mlp = register_module("mlp", make_mlp(opt, gen));
  dropout = register_module("dropout", make_dropout(opt));
}

Tensor CrossDecoderBlock::forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding, DecoderCache* cache,
                                  Tensor* cross_weights, const RowSubset* rows, Tensor* self_weights) const {
  Tensor h = residual(x, *ln_1, *dropout, [&](const Tensor& y) {
    AttentionOutput a = self_attn->forward(y, Tensor(), Tensor(), cache ? &cache->self : nullptr, self_weights != nullptr);
    if (self_weights) *self_weights = a.weights;
    return a.out;
  });
  h = residual(h, *ln_2, *dropout, [&](const Tensor& y) {
    AttentionOutput a =
        cross_attn->forward(y, memory, src_padding, cache ? &cache->cross : nullptr, cross_weights != nullptr);
    if (cross_weights) *cross_weights = a.weights;
    return a.out;
  });
  if (cache) cache->steps += x.size(1);
  return residual(h, *ln_3, *dropout, [&](const Tensor& y) { return mlp_on(*mlp, y, rows); });
}

// ---------------------------------------------------------------------------- merged (MAtt)

MergedDecoderBlock::MergedDecoderBlock(const BlockOptions& opt, Generator& gen) {
  const ModelConfig& m = opt.model;
  // The sublayer's one attention is cross-attention: its v_proj and o_proj switches (as
  // resolved for [attention.cross]) say whether avg_proj and the shared o_proj exist.
  const AttentionConfig cross_cfg = m.attention_for(AttentionRole::cross);
  ln_1 = register_module("ln_1", make_norm(opt));
  if (cross_cfg.v_proj)
    avg_proj = register_module("avg_proj", std::make_shared<Linear>(m.n_embd, m.n_embd, m.bias, gen));
  AttentionOptions cross = opt.attention(AttentionRole::cross);
  cross.variant.o_proj = false;  // the merged sublayer projects a + c once, below
  cross_attn = register_module("cross_attn", make_attention(opt, gen, cross));
  if (cross_cfg.o_proj)
    o_proj = register_module("o_proj", std::make_shared<Linear>(m.n_embd, m.n_embd, m.bias, gen, opt.out_init_std()));
  ln_2 = register_module("ln_2", make_norm(opt));
  mlp = register_module("mlp", make_mlp(opt, gen));
  dropout = register_module("dropout", make_dropout(opt));
}

namespace {

// Causal running average over positions of v [B,T,d]: a_t = (past_sum + v_0 + ... + v_t) / (past + t + 1),
// as one matmul with the lower-triangular ones matrix (cumulative sums) divided by the counts.
// past_sum [B,1,d] (undefined when nothing came before) holds the sum of `past` earlier positions.
Tensor running_average(const Tensor& v, const Tensor& past_sum, int64_t past) {
  const int64_t T = v.size(1);
  Tensor prefix_sums = matmul(tril(ones({T, T}, v.dtype())), v);  // [T,T] x [B,T,d] -> [B,T,d]
  if (past_sum.defined()) prefix_sums = prefix_sums + past_sum;
  Tensor counts = arange(static_cast<double>(past + 1), static_cast<double>(past + T + 1), 1.0, v.dtype());
  return prefix_sums / counts.reshape({T, 1});
}

// The running average as attention weights [B,1,T,past+T]: query t gives 1/(past+t+1) to
// every position up to its own (for drawing it next to real attention maps).
Tensor average_weights(int64_t B, int64_t T, int64_t past, DType dtype) {
  const int64_t S = past + T;
  std::vector<double> w(static_cast<size_t>(T * S), 0.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t s = 0; s <= past + t; ++s) w[t * S + s] = 1.0 / static_cast<double>(past + t + 1);
  return Tensor::from(w, {1, 1, T, S}).to(dtype).expand({B, 1, T, S}).contiguous();
}

}  // namespace

Tensor MergedDecoderBlock::forward(const Tensor& x, const Tensor& memory, const Tensor& src_padding,
                                   DecoderCache* cache, Tensor* cross_weights, const RowSubset* rows,
                                   Tensor* self_weights) const {
  Tensor h = residual(x, *ln_1, *dropout, [&](const Tensor& y) {
    Tensor v = avg_proj ? avg_proj->forward(y) : y;  // [B,T,d]
    if (self_weights) *self_weights = average_weights(x.size(0), x.size(1), cache ? cache->steps : 0, v.dtype());
    Tensor past_sum = cache ? cache->running_sum : Tensor();
    Tensor a = running_average(v, past_sum, cache ? cache->steps : 0);
    if (cache) {
      Tensor step_sum = sum(v, {1}, true);  // [B,1,d]
      cache->running_sum = past_sum.defined() ? past_sum + step_sum : step_sum;
      cache->steps += x.size(1);
    }
    AttentionOutput c =
        cross_attn->forward(y, memory, src_padding, cache ? &cache->cross : nullptr, cross_weights != nullptr);
    if (cross_weights) *cross_weights = c.weights;
    Tensor merged = a + c.out;
    return o_proj ? o_proj->forward(merged) : merged;
  });
  return residual(h, *ln_2, *dropout, [&](const Tensor& y) { return mlp_on(*mlp, y, rows); });
}

}  // namespace qkv::nn
