#include <cmath>

#include "checks/ops/op_cases.h"
#include "autograd/loops.h"
#include "autograd/ops/unary.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// Rewrites a leaf's values in place through f, keeping its layout (transposed, strided).
template <typename F>
Tensor remap_(Tensor leaf, F f) {
  copy_(leaf, unary_map(leaf, "unary_cases", f));
  return leaf;
}
// For log/sqrt/rsqrt/pow: values |v| + 0.5, well inside the domain.
Tensor positive(Tensor leaf) {
  return remap_(leaf, [](auto v) { return std::abs(v) + decltype(v)(0.5); });
}

}  // namespace

void add_unary_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  struct Unary {
    const char* name;
    Tensor (*fn)(const Tensor&);
    Tensor (*domain)(Tensor);  // maps a random leaf into the op's smooth domain (or null)
  };
  const Unary ops[] = {
      {"neg", neg, nullptr},     {"exp", exp, nullptr},         {"log", log, positive},
      {"sqrt", sqrt, positive},  {"rsqrt", rsqrt, positive},    {"abs", abs, away_from_zero},
      {"tanh", tanh, nullptr},   {"sigmoid", sigmoid, nullptr},
  };
  for (const Unary& op : ops) {
    auto input = [&](Tensor t) { return op.domain ? op.domain(t) : t; };
    auto f = [fn = op.fn](V in) { return fn(in[0]); };
    out.push_back({op.name, "3d", {input(leaf({2, 3, 4}, gen))}, {"x"}, f});
    out.push_back({op.name, "transposed input", {input(transposed_leaf({3, 4}, gen))}, {"x"}, f});
    out.push_back({op.name, "strided input", {input(strided_leaf({3, 4}, gen))}, {"x"}, f});
  }
  auto pow_case = [&](double e, const char* variant, Tensor x) {
    out.push_back({"pow_scalar", variant, {x}, {"x"}, [e](V in) { return pow(in[0], e); }});
  };
  pow_case(2.0, "x^2, negative values", leaf({3, 4}, gen));
  pow_case(3.0, "x^3, transposed input", transposed_leaf({3, 4}, gen));
  pow_case(0.5, "x^0.5", positive(leaf({3, 4}, gen)));
  pow_case(-1.5, "x^-1.5, strided input", positive(strided_leaf({3, 4}, gen)));
  pow_case(0.0, "x^0 (zero gradient)", leaf({3, 4}, gen));
}

}  // namespace qkv
