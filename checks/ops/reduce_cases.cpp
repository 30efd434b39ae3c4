#include "checks/ops/op_cases.h"
#include "autograd/ops/reduce.h"

namespace qkv {

void add_reduce_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  out.push_back({"sum", "all dims", {leaf({3, 4}, gen)}, {"x"}, [](V in) { return sum(in[0]); }});
  out.push_back({"sum", "dims 0,2 keepdim", {leaf({2, 3, 4}, gen)}, {"x"}, [](V in) { return sum(in[0], {0, 2}, true); }});
  out.push_back({"sum", "leading dims", {leaf({2, 3, 4}, gen)}, {"x"}, [](V in) { return sum(in[0], {0, 1}); }});
  out.push_back({"sum", "transposed input, dim -1", {transposed_leaf({3, 4}, gen)}, {"x"}, [](V in) { return sum(in[0], {-1}); }});
  out.push_back({"mean", "dim 1", {leaf({3, 4, 2}, gen)}, {"x"}, [](V in) { return mean(in[0], {1}); }});
  out.push_back({"mean", "dims 0,1 keepdim, strided", {strided_leaf({3, 4}, gen)}, {"x"},
                 [](V in) { return mean(in[0], {0, 1}, true); }});
  out.push_back({"var", "dim -1", {leaf({3, 5}, gen)}, {"x"}, [](V in) { return var(in[0], {-1}); }});
  out.push_back({"var", "dims 0,2 keepdim, biased", {leaf({2, 3, 4}, gen)}, {"x"},
                 [](V in) { return var(in[0], {0, 2}, 0, true); }});
  out.push_back({"max", "dim 1", {leaf({3, 5}, gen)}, {"x"}, [](V in) { return max(in[0], 1).first; }});
  out.push_back({"max", "dim 0 keepdim, transposed", {transposed_leaf({4, 3}, gen)}, {"x"},
                 [](V in) { return max(in[0], 0, true).first; }});
}

}  // namespace qkv
