#include "checks/ops/op_cases.h"
#include "autograd/ops/norm.h"

namespace qkv {

void add_norm_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  out.push_back({"layer_norm", "weight and bias", {leaf({3, 5}, gen), leaf({5}, gen), leaf({5}, gen)},
                 {"x", "weight", "bias"}, [](V in) { return layer_norm(in[0], in[1], in[2]); }});
  out.push_back({"layer_norm", "no affine, [2,3,4]", {leaf({2, 3, 4}, gen)}, {"x"},
                 [](V in) { return layer_norm(in[0], Tensor(), Tensor()); }});
  out.push_back({"layer_norm", "transposed input, affine",
                 {transposed_leaf({4, 5}, gen), leaf({5}, gen), leaf({5}, gen)}, {"x", "weight", "bias"},
                 [](V in) { return layer_norm(in[0], in[1], in[2]); }});
  out.push_back({"rms_norm", "weight", {leaf({3, 5}, gen), leaf({5}, gen)}, {"x", "weight"},
                 [](V in) { return rms_norm(in[0], in[1]); }});
  out.push_back({"rms_norm", "no weight", {leaf({3, 5}, gen)}, {"x"}, [](V in) { return rms_norm(in[0], Tensor()); }});
  out.push_back({"rms_norm", "strided input, weight", {strided_leaf({3, 4}, gen), leaf({4}, gen)}, {"x", "weight"},
                 [](V in) { return rms_norm(in[0], in[1]); }});
}

}  // namespace qkv
