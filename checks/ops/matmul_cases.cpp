#include "checks/ops/op_cases.h"
#include "autograd/ops/matmul.h"

namespace qkv {

// One case per path through matmul: plain 2-D, the batched loop, broadcast batch dims
// (the gradient is summed over them), the fold of the batch into one GEMM (forward and
// dB), transposed views handed to BLAS as they are, and a strided operand that is copied.
void add_matmul_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto f = [](V in) { return matmul(in[0], in[1]); };
  auto add = [&](const char* variant, Tensor a, Tensor b) {
    out.push_back({"matmul", variant, {std::move(a), std::move(b)}, {"a", "b"}, f, {}});
  };
  add("2-D", leaf({3, 4}, gen), leaf({4, 5}, gen));
  add("batched 3-D", leaf({2, 3, 4}, gen), leaf({2, 4, 5}, gen));
  add("broadcast batch", leaf({2, 1, 3, 4}, gen), leaf({3, 4, 5}, gen));
  add("2-D x 3-D (a shared by batch)", leaf({3, 4}, gen), leaf({2, 4, 5}, gen));
  add("3-D x 2-D (batch folded)", leaf({2, 3, 4}, gen), leaf({4, 5}, gen));
  add("transposed a", transposed_leaf({3, 4}, gen), leaf({4, 5}, gen));
  add("transposed b, folded (Linear)", leaf({2, 3, 4}, gen), transposed_leaf({4, 5}, gen));
  add("transposed batched a", transposed_leaf({2, 3, 4}, gen), leaf({2, 4, 5}, gen));
  add("strided a (copied)", strided_leaf({3, 4}, gen), leaf({4, 5}, gen));

  // linear: x W^T + b with the bias added by the GEMM; x folded or strided, bias or not.
  auto lin = [&](const char* variant, Tensor x, Tensor w, Tensor b) {
    const bool with_bias = b.defined();
    std::vector<Tensor> in{std::move(x), std::move(w)};
    std::vector<std::string> names{"x", "weight"};
    if (with_bias) {
      in.push_back(std::move(b));
      names.push_back("bias");
    }
    out.push_back({"linear", variant, std::move(in), std::move(names),
                   [with_bias](V v) { return linear(v[0], v[1], with_bias ? v[2] : Tensor()); }, {}});
  };
  lin("2-D with bias", leaf({3, 4}, gen), leaf({5, 4}, gen), leaf({5}, gen));
  lin("3-D, batch folded, bias", leaf({2, 3, 4}, gen), leaf({5, 4}, gen), leaf({5}, gen));
  lin("3-D, no bias", leaf({2, 3, 4}, gen), leaf({5, 4}, gen), Tensor());
  lin("transposed x (not foldable), bias", transposed_leaf({2, 3, 4}, gen), leaf({5, 4}, gen), leaf({5}, gen));
  lin("transposed weight, bias", leaf({2, 3, 4}, gen), transposed_leaf({5, 4}, gen), leaf({5}, gen));
}

}  // namespace qkv
