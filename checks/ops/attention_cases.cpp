#include "checks/ops/op_cases.h"
#include "autograd/factory.h"
#include "autograd/ops/attention.h"

namespace qkv {

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
}

}  // namespace qkv
