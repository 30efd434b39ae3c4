#include "checks/ops/op_cases.h"

#include <algorithm>
#include <cmath>

#include "autograd/factory.h"
#include "autograd/loops.h"
#include "autograd/views.h"

namespace qkv {

std::string OpCase::shapes() const {
  std::string s;
  for (const Tensor& t : inputs) {
    if (!s.empty()) s += ' ';
    s += t.shape().str();
  }
  return s;
}

std::vector<OpCase> all_op_cases() {
  Generator gen(20261123);
  std::vector<OpCase> cases;
  add_binary_cases(cases, gen);
  add_unary_cases(cases, gen);
  add_activation_cases(cases, gen);
  add_reduce_cases(cases, gen);
  add_view_cases(cases, gen);
  add_matmul_cases(cases, gen);
  add_mlp_cases(cases, gen);
  add_softmax_cases(cases, gen);
  add_norm_cases(cases, gen);
  add_loss_cases(cases, gen);
  add_indexing_cases(cases, gen);
  add_join_cases(cases, gen);
  add_mask_cases(cases, gen);
  add_dropout_cases(cases, gen);
  add_attention_cases(cases, gen);
  return cases;
}

std::vector<std::string> checked_op_names(const std::vector<OpCase>& cases) {
  std::vector<std::string> names;
  for (const OpCase& c : cases)
    if (std::find(names.begin(), names.end(), c.op) == names.end()) names.push_back(c.op);
  return names;
}

Tensor leaf(const Dims& shape, Generator& gen) { return randn(shape, gen, DType::f64).requires_grad_(); }

Tensor positive_leaf(const Dims& shape, Generator& gen) {
  return uniform(shape, gen, 0.5, 2.0, DType::f64).requires_grad_();
}

Tensor transposed_leaf(const Dims& shape, Generator& gen) {
  Dims swapped = shape;
  std::swap(swapped[shape.size() - 1], swapped[shape.size() - 2]);
  return randn(swapped, gen, DType::f64).transpose(-1, -2).detach().requires_grad_();
}

Tensor strided_leaf(const Dims& shape, Generator& gen) {
  Dims wide = shape;
  wide[shape.size() - 1] *= 2;
  return randn(wide, gen, DType::f64).slice(-1, 0, wide.back(), 2).detach().requires_grad_();
}

Tensor away_from_zero(Tensor leaf) {
  auto shift = [](auto v) { return v + std::copysign(decltype(v)(0.1), v); };
  copy_(leaf, unary_map(leaf, "away_from_zero", shift));
  return leaf;
}

}  // namespace qkv
