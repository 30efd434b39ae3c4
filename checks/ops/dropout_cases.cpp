#include "checks/ops/op_cases.h"
#include "autograd/ops/dropout.h"

namespace qkv {

// The generator is built inside f, so every evaluation (forward, backward, and each
// finite difference) draws the same mask: dropout is then a fixed linear map.
void add_dropout_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto fixed_mask = [](V in) {
    Generator mask_gen(42);
    return dropout(in[0], 0.3, true, mask_gen);
  };
  out.push_back({"dropout", "p=0.3, fixed seed", {leaf({4, 5}, gen)}, {"x"}, fixed_mask});
  out.push_back({"dropout", "p=0.3, fixed seed, transposed x", {transposed_leaf({3, 4}, gen)}, {"x"}, fixed_mask});
}

}  // namespace qkv
