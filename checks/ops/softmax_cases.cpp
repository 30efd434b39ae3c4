#include <limits>

#include "checks/ops/op_cases.h"
#include "autograd/ops/softmax.h"
#include "autograd/views.h"

namespace qkv {

void add_softmax_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  for (auto [op, fn] : {std::pair{"softmax", &softmax}, std::pair{"log_softmax", &log_softmax}}) {
    out.push_back({op, "dim -1", {leaf({3, 5}, gen)}, {"x"}, [fn = fn](V in) { return fn(in[0], -1); }});
    out.push_back({op, "dim 0", {leaf({3, 5}, gen)}, {"x"}, [fn = fn](V in) { return fn(in[0], 0); }});
    out.push_back({op, "middle dim of [2,3,4]", {leaf({2, 3, 4}, gen)}, {"x"}, [fn = fn](V in) { return fn(in[0], 1); }});
    out.push_back({op, "transposed input, dim -1", {transposed_leaf({3, 5}, gen)}, {"x"},
                   [fn = fn](V in) { return fn(in[0], -1); }});
  }
  // Masked entries (-inf) get probability 0 and gradient 0; a fully masked row gives
  // zeros, not NaN. (log_softmax is -inf there, where finite differences are NaN.)
  Tensor masked = leaf({3, 4}, gen);
  const double inf = std::numeric_limits<double>::infinity();
  double* m = masked.data<double>();  // [3,4]: row 0 partly, row 2 fully masked
  m[1] = m[3] = -inf;
  for (int j = 8; j < 12; ++j) m[j] = -inf;
  out.push_back({"softmax", "-inf entries, a masked row", {masked}, {"x"},
                 [](V in) { return softmax(in[0], -1); }});
}

}  // namespace qkv
