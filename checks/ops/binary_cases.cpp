#include "checks/ops/op_cases.h"
#include "autograd/ops/binary.h"

namespace qkv {

void add_binary_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  struct Binary {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&);
    bool positive_rhs;  // div and pow need b away from 0 / a > 0
  };
  const Binary ops[] = {{"add", add, false}, {"sub", sub, false}, {"mul", mul, false}, {"div", div, true}};
  for (const Binary& op : ops) {
    auto rhs = [&](const Dims& s) { return op.positive_rhs ? positive_leaf(s, gen) : leaf(s, gen); };
    auto f = [fn = op.fn](V in) { return fn(in[0], in[1]); };
    out.push_back({op.name, "same shape", {leaf({3, 4}, gen), rhs({3, 4})}, {"a", "b"}, f});
    out.push_back({op.name, "broadcast row", {leaf({2, 3, 4}, gen), rhs({4})}, {"a", "b"}, f});
    out.push_back({op.name, "broadcast both", {leaf({3, 1}, gen), rhs({1, 4})}, {"a", "b"}, f});
    out.push_back({op.name, "transposed input", {transposed_leaf({3, 4}, gen), rhs({3, 4})}, {"a", "b"}, f});
    out.push_back({op.name, "strided input", {strided_leaf({3, 4}, gen), rhs({3, 1})}, {"a", "b"}, f});
  }
  out.push_back({"pow", "tensor exponent, broadcast", {positive_leaf({3, 4}, gen), leaf({4}, gen)}, {"a", "b"},
                 [](V in) { return pow(in[0], in[1]); }});
  auto scalar = [&](const char* name, auto fn, bool positive) {
    out.push_back({name, "scalar", {positive ? positive_leaf({3, 4}, gen) : leaf({3, 4}, gen)}, {"x"},
                   [fn](V in) { return fn(in[0]); }});
  };
  scalar("add_scalar", [](const Tensor& x) { return x + 1.5; }, false);
  scalar("sub_scalar", [](const Tensor& x) { return x - 1.5; }, false);
  scalar("rsub_scalar", [](const Tensor& x) { return 1.5 - x; }, false);
  scalar("mul_scalar", [](const Tensor& x) { return x * -2.5; }, false);
  scalar("div_scalar", [](const Tensor& x) { return x / 4.0; }, false);
  scalar("rdiv_scalar", [](const Tensor& x) { return 3.0 / x; }, true);
}

}  // namespace qkv
