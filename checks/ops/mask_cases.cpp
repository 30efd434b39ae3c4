#include "checks/ops/op_cases.h"
#include "autograd/ops/mask.h"

namespace qkv {

void add_mask_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto where_f = [](V in) { return where(in[0], in[1], in[2]); };
  out.push_back({"where", "broadcast int cond", {Tensor::from(std::vector<int64_t>{1, 0, 0, 1}, {4}),
                 leaf({3, 4}, gen), leaf({3, 4}, gen)}, {"cond", "a", "b"}, where_f});
  out.push_back({"where", "float cond, broadcast a, b^T",
                 {Tensor::from({0.5, 0, -2}, {3, 1}, DType::f64), leaf({1, 4}, gen), transposed_leaf({3, 4}, gen)},
                 {"cond", "a", "b"}, where_f});
  // A finite fill value: -inf (as in attention) would make the finite differences NaN.
  out.push_back({"masked_fill", "mask [3,4] broadcast over batch",
                 {leaf({2, 3, 4}, gen), causal_mask(3, 4)}, {"x", "mask"},
                 [](V in) { return masked_fill(in[0], in[1], -2.5); }});
  out.push_back({"masked_fill", "mask [2,1,4], strided input",
                 {strided_leaf({2, 3, 4}, gen), Tensor::from(std::vector<int32_t>{1, 0, 0, 1, 0, 1, 1, 0}, {2, 1, 4})},
                 {"x", "mask"}, [](V in) { return masked_fill(in[0], in[1], 7.0); }});
  out.push_back({"tril", "k=0, batched", {leaf({2, 3, 4}, gen)}, {"x"}, [](V in) { return tril(in[0], 0); }});
  out.push_back({"tril", "k=1, transposed input", {transposed_leaf({4, 4}, gen)}, {"x"},
                 [](V in) { return tril(in[0], 1); }});
  out.push_back({"triu", "k=0", {leaf({3, 4}, gen)}, {"x"}, [](V in) { return triu(in[0], 0); }});
  out.push_back({"triu", "k=1, batched", {leaf({2, 4, 3}, gen)}, {"x"}, [](V in) { return triu(in[0], 1); }});
}

}  // namespace qkv
