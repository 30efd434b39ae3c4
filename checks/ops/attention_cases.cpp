#include "checks/ops/op_cases.h"
#include "autograd/factory.h"
#include "autograd/ops/attention.h"
#include "autograd/ops/attention_weights.h"

namespace qkv {
namespace {

// The normalisations (attention.normalize) in both attention ops: scaled_dot_attention
// (dot scores) and attention_weights (any scores). Self and cross shapes, causal and
// key padding, padded queries, fully masked rows (keys, sigmoid) and columns (queries),
// the sigmoid's default bias -log(n) and an explicit one, several row blocks, dropout.
void add_normalize_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  const NormalizeOptions queries{Normalize::queries, {}}, sigmoid{Normalize::sigmoid, {}};
  const NormalizeOptions sigmoid_bias{Normalize::sigmoid, -1.5};
  auto padding = [](std::vector<int32_t> bits, int64_t B) {
    const int64_t n = static_cast<int64_t>(bits.size()) / B;
    return Tensor::from(std::move(bits), {B, n});
  };
  // Batch 1 pads its last two positions, as keys and (self-attention) as queries.
  const Tensor pad4 = padding({0, 0, 0, 0, 0, 0, 1, 1}, 2);
  // Key 1 padded: under causal, column 1 is then fully masked, and so is row 1 of
  // batch 0 under key padding when key 0 is padded too.
  const Tensor pad_cols = padding({1, 1, 0, 0, 0, 1, 0, 0}, 2);

  auto fused = [&](const char* variant, Dims qs, Dims ks, Dims vs, AttentionMask mask, NormalizeOptions norm,
                   double dropout_p = 0) {
    out.push_back({"scaled_dot_attention", variant, {leaf(qs, gen), leaf(ks, gen), leaf(vs, gen)}, {"q", "k", "v"},
                   [mask, norm, dropout_p](V x) {
                     Generator mask_gen(21);
                     return scaled_dot_attention(x[0], x[1], x[2], 0.6, mask, norm, dropout_p, &mask_gen);
                   }});
  };
  fused("queries, cross (S != T)", {2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3}, {}, queries);
  fused("queries, self, key and query padding", {2, 2, 4, 3}, {2, 2, 4, 3}, {2, 2, 4, 2},
        {false, 0, pad4, pad4}, queries);
  fused("queries, causal + padding, fully masked columns", {2, 1, 4, 3}, {2, 1, 4, 3}, {2, 1, 4, 2},
        {true, 0, pad_cols, Tensor()}, queries);
  fused("queries, causal past 1, keys no row reaches", {1, 2, 3, 2}, {1, 2, 6, 2}, {1, 2, 6, 2},
        {true, 1, Tensor(), Tensor()}, queries);
  fused("queries, grouped heads, T 67 in one block", {1, 4, 67, 2}, {1, 2, 67, 2}, {1, 2, 67, 2}, {}, queries);
  fused("queries, dropout 0.4 (fixed mask)", {1, 2, 5, 3}, {1, 2, 5, 3}, {1, 2, 5, 2}, {}, queries, 0.4);
  fused("keys, self, key and query padding", {2, 2, 4, 3}, {2, 2, 4, 3}, {2, 2, 4, 2}, {false, 0, pad4, pad4}, {});
  fused("sigmoid, causal past 2 + padding", {2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3},
        {true, 2, padding({0, 0, 1, 0, 0, 1, 0, 0, 0, 1}, 2), Tensor()}, sigmoid);
  fused("sigmoid, causal + padding, a fully masked row", {2, 1, 4, 3}, {2, 1, 4, 3}, {2, 1, 4, 2},
        {true, 0, pad_cols, Tensor()}, sigmoid);
  fused("sigmoid, causal, two row blocks (T 67)", {1, 1, 67, 2}, {1, 1, 67, 2}, {1, 1, 67, 2},
        {true, 0, Tensor(), Tensor()}, sigmoid);
  fused("sigmoid bias -1.5, cross + padding", {2, 2, 3, 2}, {2, 2, 4, 2}, {2, 2, 4, 3},
        {false, 0, pad4, Tensor()}, sigmoid_bias);

  auto weights = [&](const char* variant, Dims shape, AttentionMask mask, NormalizeOptions norm) {
    out.push_back({"attention_weights", variant, {leaf(shape, gen)}, {"scores"},
                   [mask, norm](V x) { return attention_weights(x[0], mask, norm); }});
  };
  weights("keys, causal + padding, a fully masked row", {2, 2, 4, 4}, {true, 0, pad_cols, Tensor()}, {});
  weights("queries, cross", {2, 2, 3, 5}, {}, queries);
  weights("queries, self, key and query padding", {2, 2, 4, 4}, {false, 0, pad4, pad4}, queries);
  weights("queries, causal + padding, fully masked columns", {2, 1, 4, 4}, {true, 0, pad_cols, Tensor()}, queries);
  weights("sigmoid, causal past 1 + padding, a fully masked row", {2, 2, 3, 4},
          {true, 1, padding({1, 1, 0, 0, 0, 0, 0, 1}, 2), Tensor()}, sigmoid);
  weights("sigmoid bias -1.5, cross + padding", {2, 2, 3, 4}, {false, 0, pad4, Tensor()}, sigmoid_bias);
}

}  // namespace

// scaled_dot_attention: S != T and ev != e, causal with and without past keys, a causal
// mask over two row blocks (T = 67 > 64), key padding with a fully masked row, grouped
// heads, and the layouts it reads in place (split_heads' permute, transposed heads) or
// copies (a step-2 slice).
void add_attention_cases(std::vector<OpCase>& out, Generator& gen) {
  const char* op = "scaled_dot_attention";
  const std::vector<std::string> qkv_names{"q", "k", "v"};
  auto add = [&](const char* variant, std::vector<Tensor> in, double scale, bool causal, int64_t past) {
    std::vector<std::string> names = qkv_names;
    if (in.size() == 4) names.push_back("key_padding");
    out.push_back({op, variant, std::move(in), names, [scale, causal, past](const std::vector<Tensor>& x) {
                     return scaled_dot_attention(x[0], x[1], x[2], scale, causal, past,
                                                 x.size() == 4 ? x[3] : Tensor());
                   }});
  };
  // [B, T, H, e] memory seen as [B, H, T, e], as split_heads makes it.
  auto heads_view = [&](int64_t B, int64_t H, int64_t T, int64_t e) {
    return randn({B, T, H, e}, gen, DType::f64).permute({0, 2, 1, 3}).detach().requires_grad_();
  };

  add("S != T, ev != e", {leaf({2, 2, 3, 4}, gen), leaf({2, 2, 5, 4}, gen), leaf({2, 2, 5, 3}, gen)}, 0.5, false, 0);
  add("causal", {leaf({1, 2, 4, 3}, gen), leaf({1, 2, 4, 3}, gen), leaf({1, 2, 4, 3}, gen)}, 0.6, true, 0);
  add("causal, past 2", {leaf({2, 1, 3, 4}, gen), leaf({2, 1, 5, 4}, gen), leaf({2, 1, 5, 4}, gen)}, 0.5, true, 2);
  add("causal, two row blocks (T 67)", {leaf({1, 1, 67, 2}, gen), leaf({1, 1, 67, 2}, gen), leaf({1, 1, 67, 2}, gen)},
      0.7, true, 0);
  // Batch 1 pads every key: its rows are fully masked (zeros, zero gradient).
  add("key padding, a fully masked batch",
      {leaf({2, 2, 3, 2}, gen), leaf({2, 2, 4, 2}, gen), leaf({2, 2, 4, 2}, gen),
       Tensor::from(std::vector<int32_t>{0, 1, 0, 1, 1, 1, 1, 1}, {2, 4})},
      0.7, false, 0);
  // Key 0 padded: query 0 (causal) sees no key at all.
  add("causal + key padding, a fully masked row",
      {leaf({1, 2, 4, 3}, gen), leaf({1, 2, 4, 3}, gen), leaf({1, 2, 4, 3}, gen),
       Tensor::from(std::vector<int64_t>{1, 0, 1, 0}, {1, 4})},
      0.6, true, 0);
  add("grouped heads (4 q, 2 kv), causal", {leaf({2, 4, 3, 2}, gen), leaf({2, 2, 3, 2}, gen), leaf({2, 2, 3, 2}, gen)},
      0.7, true, 0);
  add("split_heads views (permuted, read in place)", {heads_view(2, 2, 3, 2), heads_view(2, 2, 4, 2),
      heads_view(2, 2, 4, 2)}, 0.7, false, 0);
  add("transposed k, strided v (copied)",
      {leaf({1, 2, 3, 2}, gen), transposed_leaf({1, 2, 4, 2}, gen), strided_leaf({1, 2, 4, 3}, gen)}, 0.7, true, 1);
  // Dropout 0.4 on the probabilities: every evaluation starts from the same generator
  // state, so the mask is fixed and the op a smooth function of q, k, v.
  out.push_back({op, "causal, dropout 0.4 (fixed mask)", {leaf({1, 2, 5, 3}, gen), leaf({1, 2, 5, 3}, gen),
                 leaf({1, 2, 5, 2}, gen)}, qkv_names, [](const std::vector<Tensor>& x) {
                   Generator mask_gen(21);
                   return scaled_dot_attention(x[0], x[1], x[2], 0.6, true, 0, Tensor(), 0.4, &mask_gen);
                 }});
  add_normalize_cases(out, gen);
}

}  // namespace qkv
