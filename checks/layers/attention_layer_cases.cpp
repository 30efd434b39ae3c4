// Gradcheck cases of MultiHeadAttention: each variant alone, in self- and cross-attention,
// with causal and key-padding masks (one with fully masked rows), the combinations that
// make sense, the returned weights, the KV cache, and each normalization. A case is named by its variants
// (nn/attention_variants.h, joined by '+'), its mode and its mask: "gqa+rope/self/causal".
//
// Sizes: B 2, T 3, S 4 (cross), d 8, 2 heads of 4. Every parameter is redrawn with std
// 0.5 (biases included, tau around 2) so that no gradient is tiny or trivially zero.
#include <sstream>

#include "autograd/autograd.h"
#include "checks/layers/layer_cases.h"
#include "nn/attention.h"
#include "nn/attention_variants.h"
#include "nn/blocks.h"

namespace qkv::nn {

namespace {

constexpr int64_t kBatch = 2, kQueries = 3, kMemory = 4, kModel = 8, kHeads = 2;

std::vector<std::string> split_plus(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, '+');) parts.push_back(part);
  return parts;
}

// The module of a variant in float64, every parameter redrawn (see the top).
std::shared_ptr<MultiHeadAttention> make_module(const std::string& variant, bool cross, bool causal, Generator& gen) {
  auto m = std::make_shared<MultiHeadAttention>(attention_case_options(variant, kModel, kHeads, causal, cross), gen);
  m->to(DType::f64);
  NoGradGuard no_grad;
  for (auto& [name, p] : m->named_parameters())
    copy_(p, randn(p.shape(), gen, DType::f64, name == "tau" ? 2.0 : 0.0, 0.5));
  return m;
}

// Key padding ([B,S], non-zero = ignored). Self: one padded key per batch, which with a
// causal mask leaves query 0 of batch 1 with no key at all. Cross: batch 1 fully masked.
Tensor key_padding(bool cross) {
  if (cross) return Tensor::from(std::vector<int32_t>{0, 1, 0, 1, 1, 1, 1, 1}, {kBatch, kMemory});
  return Tensor::from(std::vector<int32_t>{0, 0, 1, 1, 0, 0}, {kBatch, kQueries});
}

// One case: variant "gqa+rope", mode "self" or "cross", extras joined by '+' among
// causal, padding, weights (the softmax weights are the output) and cache (x fed in
// two steps through a KVCache, outputs concatenated).
void add_case(std::vector<LayerCase>& out, Generator& gen, const std::string& variant, const std::string& mode,
              const std::string& extras = "") {
  bool causal = false, padding = false, weights = false, cached = false;
  for (const std::string& e : split_plus(extras)) {
    causal |= e == "causal";
    padding |= e == "padding";
    weights |= e == "weights";
    cached |= e == "cache";
  }
  const bool cross = mode == "cross";
  auto m = make_module(variant, cross, causal, gen);

  LayerCase c{"attention", variant + "/" + mode + (extras.empty() ? "" : "/" + extras), m, {}, {}, {}};
  c.inputs.push_back(input_leaf({kBatch, kQueries, kModel}, gen));
  c.input_names.push_back("x");
  if (cross) {
    c.inputs.push_back(input_leaf({kBatch, kMemory, kModel}, gen));
    c.input_names.push_back("memory");
  }
  if (padding) {
    c.inputs.push_back(key_padding(cross));
    c.input_names.push_back("key_padding");
  }
  c.f = [m, cross, padding, weights, cached](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    Tensor memory = cross ? in[1] : Tensor();
    Tensor pad = padding ? in.back() : Tensor();
    if (!cached) {
      AttentionOutput r = m->forward(x, memory, pad, nullptr, weights);
      return weights ? r.weights : r.out;
    }
    KVCache cache;
    Tensor first = m->forward(x.slice(1, 0, 2), memory, pad, &cache).out;
    Tensor second = m->forward(x.slice(1, 2, kQueries), memory, pad, &cache).out;
    return concat({first, second}, 1);
  };
  out.push_back(std::move(c));
}

}  // namespace

AttentionOptions attention_case_options(const std::string& switches, int64_t d, int64_t heads, bool causal, bool cross) {
  ModelConfig m;
  m.n_embd = d;
  m.n_head = heads;
  int64_t head_dim = 0;
  for (const std::string& sw : split_plus(switches)) {
    if (sw == "head_dim3")
      head_dim = 3;  // a shape, not a config key: H * dh = 6 != d, projections map 8 -> 6 -> 8
    else
      apply_attention_variants(m, sw);
  }
  // A self-attention case without the causal mask is an encoder's: its per-role
  // overrides (attention.encoder.*, as normalize_queries sets) apply there.
  const AttentionRole role = cross ? AttentionRole::cross : causal ? AttentionRole::decoder : AttentionRole::encoder;
  AttentionOptions o = BlockOptions{m, 1, nullptr}.attention(role);
  o.causal = causal;
  o.head_dim = head_dim;
  o.init_std = o.out_init_std = 0.5;
  return o;
}

void add_attention_layer_cases(std::vector<LayerCase>& out) {
  Generator gen(97);
  // Each variant of the table alone, and head_dim3, self and cross.
  std::vector<std::string> alone;
  for (const AttentionVariant& v : attention_variants()) alone.push_back(v.name);
  alone.push_back("head_dim3");
  for (const std::string& v : alone)
    for (const char* mode : {"self", "cross"}) add_case(out, gen, v, mode);

  // Masks: causal (self only), key padding, both.
  add_case(out, gen, "full", "self", "causal");
  add_case(out, gen, "full", "self", "padding");
  add_case(out, gen, "full", "self", "causal+padding");
  add_case(out, gen, "full", "cross", "padding");
  add_case(out, gen, "no_q", "cross", "padding");
  add_case(out, gen, "no_k", "self", "causal");
  add_case(out, gen, "no_v", "cross", "padding");
  add_case(out, gen, "no_o", "self", "causal+padding");
  add_case(out, gen, "shared_qk", "self", "causal");
  add_case(out, gen, "bilinear_qk", "self", "causal");
  add_case(out, gen, "bilinear_qk", "cross", "padding");
  add_case(out, gen, "rbf", "self", "causal+padding");
  add_case(out, gen, "cosine", "self", "causal");
  add_case(out, gen, "cosine", "cross", "padding");
  add_case(out, gen, "additive", "self", "causal");
  add_case(out, gen, "additive", "cross", "padding");
  add_case(out, gen, "gqa", "self", "causal");
  add_case(out, gen, "rope", "self", "causal");

  // Combinations.
  add_case(out, gen, "gqa+rope", "self", "causal");
  add_case(out, gen, "gqa+rope", "cross", "padding");
  add_case(out, gen, "no_q+rbf", "self", "causal");
  add_case(out, gen, "no_q+rbf", "cross");
  add_case(out, gen, "shared_qk+cosine", "self");
  add_case(out, gen, "shared_qk+cosine", "cross", "padding");
  add_case(out, gen, "shared_qk+rope", "self", "causal");
  add_case(out, gen, "no_q+no_k+shared_qk", "self", "padding");
  add_case(out, gen, "no_o+no_v", "self", "causal");
  add_case(out, gen, "no_o+no_v", "cross");
  add_case(out, gen, "no_q+no_k+no_v+no_o", "self", "causal");
  add_case(out, gen, "rope+additive", "self", "causal");
  add_case(out, gen, "no_k+rope", "cross");
  add_case(out, gen, "gqa+cosine", "cross", "padding");
  add_case(out, gen, "gqa+additive", "self", "causal");
  add_case(out, gen, "bilinear_qk+gqa", "self", "causal");
  add_case(out, gen, "rbf+rope+gqa", "self", "causal+padding");

  // The returned weights, and incremental decoding through the cache.
  add_case(out, gen, "full", "self", "causal+weights");
  add_case(out, gen, "gqa+cosine", "cross", "padding+weights");
  add_case(out, gen, "full", "self", "causal+cache");
  add_case(out, gen, "gqa+rope", "self", "causal+cache");
  add_case(out, gen, "bilinear_qk", "self", "causal+cache");
  add_case(out, gen, "rope", "cross", "padding+cache");

  // Normalization: sigmoid with fully masked rows (self: query 0 of batch 1; cross: batch
  // 1), over queries in an encoder's self-attention with fully masked columns (the padded
  // keys) and padded queries, other score kinds, the returned weights and the cache.
  add_case(out, gen, "sigmoid", "self", "causal+padding");
  add_case(out, gen, "sigmoid", "cross", "padding");
  add_case(out, gen, "sigmoid+rbf", "self", "causal");
  add_case(out, gen, "sigmoid+cosine", "cross", "padding+weights");
  add_case(out, gen, "sigmoid+gqa+rope", "self", "causal+cache");
  add_case(out, gen, "normalize_queries", "self", "padding");
  add_case(out, gen, "normalize_queries", "self", "padding+weights");
  add_case(out, gen, "normalize_queries+additive", "self", "padding");
  add_case(out, gen, "normalize_queries+bilinear_qk", "self");
  add_case(out, gen, "normalize_queries+gqa+rope", "self", "padding");
}

}  // namespace qkv::nn
