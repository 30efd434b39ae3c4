#include "checks/ops/op_cases.h"
#include "autograd/ops/mlp.h"

namespace qkv {

// gelu_mlp: both GELU forms, with and without biases, a batched and a strided input.
void add_mlp_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto add = [&](const char* variant, Tensor x, bool bias, GeluApprox approx) {
    std::vector<Tensor> in{std::move(x), leaf({6, 4}, gen), leaf({3, 6}, gen)};
    std::vector<std::string> names{"x", "w1", "w2"};
    if (bias) {
      in.push_back(leaf({6}, gen));
      in.push_back(leaf({3}, gen));
      names.push_back("b1");
      names.push_back("b2");
    }
    out.push_back({"gelu_mlp", variant, std::move(in), std::move(names), [bias, approx](V v) {
                     return gelu_mlp(v[0], v[1], bias ? v[3] : Tensor(), v[2], bias ? v[4] : Tensor(), approx);
                   }, {}});
  };
  add("2-D, biases, erf", leaf({5, 4}, gen), true, GeluApprox::none);
  add("3-D, biases, tanh", leaf({2, 3, 4}, gen), true, GeluApprox::tanh);
  add("3-D, no biases", leaf({2, 3, 4}, gen), false, GeluApprox::none);
  add("transposed x, biases", transposed_leaf({2, 3, 4}, gen), true, GeluApprox::none);
}

}  // namespace qkv
