#include "checks/ops/op_cases.h"
#include "autograd/ops/indexing.h"

namespace qkv {

// Repeated indices make the backward scatter-add accumulate several gradients into one row.
void add_indexing_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto ids64 = [](std::vector<int64_t> v, const Dims& shape) { return Tensor::from(v, shape); };
  auto ids32 = [](std::vector<int32_t> v, const Dims& shape) { return Tensor::from(v, shape); };

  auto embed = [](V in) { return embedding(in[0], in[1]); };
  out.push_back({"embedding", "repeated ids", {leaf({5, 3}, gen), ids64({1, 3, 1, 0, 4, 1}, {6})},
                 {"weight", "ids"}, embed});
  out.push_back({"embedding", "2-D int32 ids, transposed weight",
                 {transposed_leaf({4, 3}, gen), ids32({2, 0, 2, 1, 2, 3}, {2, 3})}, {"weight", "ids"}, embed});

  out.push_back({"index_select", "dim 0, repeats", {leaf({4, 3}, gen), ids64({3, 0, 3, 1, 3}, {5})},
                 {"x", "idx"}, [](V in) { return index_select(in[0], 0, in[1]); }});
  out.push_back({"index_select", "dim 1, repeats, strided input", {strided_leaf({3, 4}, gen), ids32({2, 2, 0}, {3})},
                 {"x", "idx"}, [](V in) { return index_select(in[0], 1, in[1]); }});
  out.push_back({"index_select", "dim 1 of 3, repeats", {leaf({2, 3, 2}, gen), ids64({1, 1, 2, 0}, {4})},
                 {"x", "idx"}, [](V in) { return index_select(in[0], 1, in[1]); }});

  // Distinct rows in any order; rows 1 and 4 of the output are the constant zeros.
  out.push_back({"scatter_rows", "3 of 5 rows, out of order", {leaf({3, 2}, gen), ids64({3, 0, 2}, {3})},
                 {"y", "idx"}, [](V in) { return scatter_rows(in[0], in[1], 5); }});
  out.push_back({"scatter_rows", "3-D rows, int32 index, transposed y",
                 {transposed_leaf({2, 3, 2}, gen), ids32({1, 2}, {2})}, {"y", "idx"},
                 [](V in) { return scatter_rows(in[0], in[1], 4); }});

  out.push_back({"gather", "dim 1, repeats", {leaf({3, 4}, gen), ids64({0, 3, 2, 2, 1, 0}, {3, 2})}, {"x", "idx"},
                 [](V in) { return gather(in[0], 1, in[1]); }});
  out.push_back({"gather", "dim 1, short idx, transposed x",
                 {transposed_leaf({3, 4}, gen), ids32({3, 0, 3, 1, 1, 2, 2, 0, 1, 3}, {2, 5})}, {"x", "idx"},
                 [](V in) { return gather(in[0], 1, in[1]); }});
  out.push_back({"gather", "dim 0", {leaf({3, 2}, gen), ids64({2, 0, 2, 2}, {2, 2})}, {"x", "idx"},
                 [](V in) { return gather(in[0], 0, in[1]); }});
}

}  // namespace qkv
