#include "checks/layers/layer_cases.h"

#include <algorithm>

#include "autograd/factory.h"

namespace qkv::nn {

GradcheckReport LayerCase::run() const {
  std::vector<Tensor> all = inputs;
  std::vector<std::string> names = input_names;
  for (auto& [name, p] : module->named_parameters()) {
    all.push_back(p);
    names.push_back("param " + name);
  }
  const size_t n_inputs = inputs.size();
  auto call = [this, n_inputs](const std::vector<Tensor>& in) {
    return f(std::vector<Tensor>(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n_inputs)));
  };
  return gradcheck(call, all, names, options);
}

std::vector<LayerCase> all_layer_cases() {
  std::vector<LayerCase> cases;
  add_basic_layer_cases(cases);
  add_attention_layer_cases(cases);
  add_model_layer_cases(cases);
  return cases;
}

std::vector<std::string> checked_layer_names(const std::vector<LayerCase>& cases) {
  std::vector<std::string> names;
  for (const LayerCase& c : cases)
    if (std::find(names.begin(), names.end(), c.layer) == names.end()) names.push_back(c.layer);
  return names;
}

Tensor input_leaf(const Dims& shape, Generator& gen) { return randn(shape, gen, DType::f64).requires_grad_(); }

}  // namespace qkv::nn
