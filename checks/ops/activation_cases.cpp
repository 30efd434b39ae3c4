#include <cmath>

#include "checks/ops/op_cases.h"
#include "autograd/loops.h"
#include "autograd/ops/activation.h"
#include "autograd/ops/binary.h"
#include "autograd/views.h"

namespace qkv {

void add_activation_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  struct Activation {
    const char* name;
    Tensor (*fn)(const Tensor&);
    bool kink_at_zero;  // relu: inputs kept away from 0
  };
  const Activation ops[] = {
      {"relu", relu, true},
      {"gelu", [](const Tensor& x) { return gelu(x, GeluApprox::none); }, false},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApprox::tanh); }, false},
      {"silu", silu, false},
  };
  for (const Activation& op : ops) {
    auto input = [&](Tensor t) { return op.kink_at_zero ? away_from_zero(t) : t; };
    auto f = [fn = op.fn](V in) { return fn(in[0]); };
    out.push_back({op.name, "3d", {input(leaf({2, 3, 4}, gen))}, {"x"}, f});
    out.push_back({op.name, "transposed input", {input(transposed_leaf({3, 4}, gen))}, {"x"}, f});
    out.push_back({op.name, "strided input", {input(strided_leaf({3, 4}, gen))}, {"x"}, f});
  }
  // The saturated tails: randn rarely reaches |x| ~ 4-6, where gelu/silu bend back towards 0 / x.
  out.push_back({"gelu", "wide range x*3", {leaf({3, 4}, gen)}, {"x"},
                 [](V in) { return gelu(in[0] * 3.0, GeluApprox::none); }});
  out.push_back({"gelu_tanh", "wide range x*3", {leaf({3, 4}, gen)}, {"x"},
                 [](V in) { return gelu(in[0] * 3.0, GeluApprox::tanh); }});
  out.push_back({"silu", "wide range x*3", {leaf({3, 4}, gen)}, {"x"},
                 [](V in) { return silu(in[0] * 3.0); }});
}

}  // namespace qkv
