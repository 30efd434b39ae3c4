#include "checks/ops/op_cases.h"
#include "autograd/ops/binary.h"
#include "autograd/factory.h"
#include "autograd/views.h"

namespace qkv {

// Views are checked through a product with a fixed weight, so that every output
// element carries a different gradient (a plain identity would hide index mix-ups).
void add_view_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto weighted = [&](const Dims& out_shape) { return randn(out_shape, gen, DType::f64); };
  Tensor w1 = weighted({4, 6});
  out.push_back({"reshape", "[2,3,4] -> [4,6]", {leaf({2, 3, 4}, gen)}, {"x"},
                 [w1](V in) { return reshape(in[0], {4, 6}) * w1; }});
  Tensor w2 = weighted({12});
  out.push_back({"reshape", "transposed input (copies)", {transposed_leaf({3, 4}, gen)}, {"x"},
                 [w2](V in) { return reshape(in[0], {-1}) * w2; }});
  Tensor w3 = weighted({4, 2, 3});
  out.push_back({"permute", "(2,0,1)", {leaf({2, 3, 4}, gen)}, {"x"},
                 [w3](V in) { return permute(in[0], {2, 0, 1}) * w3; }});
  Tensor w4 = weighted({4, 3});
  out.push_back({"transpose", "(0,1)", {leaf({3, 4}, gen)}, {"x"}, [w4](V in) { return transpose(in[0], 0, 1) * w4; }});
  Tensor w5 = weighted({3, 2});
  out.push_back({"slice", "dim 1, 1:5:2", {leaf({3, 5}, gen)}, {"x"}, [w5](V in) { return slice(in[0], 1, 1, 5, 2) * w5; }});
  Tensor w6 = weighted({2, 4});
  out.push_back({"split", "size 2 along dim 0, last piece", {leaf({5, 4}, gen)}, {"x"},
                 [w6](V in) { return split(in[0], 2, 0)[1] * w6; }});
  Tensor w7 = weighted({2, 3, 4});
  out.push_back({"expand", "[3,1] -> [2,3,4]", {leaf({3, 1}, gen)}, {"x"}, [w7](V in) { return expand(in[0], {2, 3, 4}) * w7; }});
  Tensor w8 = weighted({3, 1, 4});
  out.push_back({"unsqueeze", "dim 1", {leaf({3, 4}, gen)}, {"x"}, [w8](V in) { return unsqueeze(in[0], 1) * w8; }});
  Tensor w9 = weighted({3, 4});
  out.push_back({"contiguous", "of a transposed input", {transposed_leaf({3, 4}, gen)}, {"x"},
                 [w9](V in) { return contiguous(in[0]) * w9; }});
}

}  // namespace qkv
