#include "checks/ops/op_cases.h"
#include "autograd/ops/join.h"

namespace qkv {

void add_join_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  out.push_back({"concat", "3 inputs, dim 1, one transposed",
                 {leaf({2, 3}, gen), transposed_leaf({2, 2}, gen), leaf({2, 4}, gen)}, {"a", "b", "c"},
                 [](V in) { return concat(in, 1); }});
  out.push_back({"concat", "dim 0, strided input", {strided_leaf({2, 3}, gen), leaf({1, 3}, gen)}, {"a", "b"},
                 [](V in) { return concat(in, 0); }});
  out.push_back({"stack", "dim 0", {leaf({2, 3}, gen), leaf({2, 3}, gen), leaf({2, 3}, gen)}, {"a", "b", "c"},
                 [](V in) { return stack(in, 0); }});
  out.push_back({"stack", "dim -1, transposed input", {transposed_leaf({2, 3}, gen), leaf({2, 3}, gen)}, {"a", "b"},
                 [](V in) { return stack(in, -1); }});
}

}  // namespace qkv
