#include "nn/module.h"

#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv::nn {

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  for (const auto& [n, p] : params_) QKV_CHECK(n != name, "module: parameter '{}' registered twice", name);
  Tensor p = value.detach();
  if (p.is_floating_point()) p.requires_grad_();
  params_.emplace_back(name, p);
  return p;
}

void Module::collect(const std::string& prefix, NamedTensors& out) const {
  for (const auto& [name, p] : params_) out.emplace_back(prefix + name, p);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(DType dtype) {
  NoGradGuard no_grad;
  for (const Tensor& p : parameters()) {
    if (p.dtype() == dtype) continue;
    // Swap the storage under the shared TensorImpl, so every holder sees the new dtype.
    Tensor converted = p.to(dtype);
    TensorImpl* impl = p.impl();
    impl->storage = converted.storage();
    impl->strides = converted.strides();
    impl->offset = converted.offset();
    impl->dtype = dtype;
    impl->grad.reset();
  }
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) p.zero_grad();
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [name, p] : named_parameters()) out.emplace(name, p);
  return out;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state) {
  NamedTensors mine = named_parameters();
  for (const auto& [name, p] : mine) {
    auto it = state.find(name);
    QKV_CHECK(it != state.end(), "load_state_dict: parameter '{}' is missing (expected {})", name, describe(p));
    QKV_CHECK(it->second.shape() == p.shape(), "load_state_dict: parameter '{}' has shape {}, expected {}", name,
          it->second.shape().str(), p.shape().str());
  }
  for (const auto& [name, t] : state) {
    bool known = false;
    for (const auto& [n, p] : mine) known |= n == name;
    QKV_CHECK(known, "load_state_dict: unexpected parameter '{}' {}", name, describe(t));
  }
  NoGradGuard no_grad;
  for (const auto& [name, p] : mine) copy_(p, state.at(name));
}

}  // namespace qkv::nn
