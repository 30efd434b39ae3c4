#include "optim/optimizer.h"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include "autograd/factory.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv::optim {

bool decay_matrices_not_embeddings(const std::string& name, const Tensor& param) {
  if (param.dim() < 2) return false;  // biases, LayerNorm / RMSNorm weights
  // The module that owns the parameter: "wte" in "wte.weight", "embed" in "decoder.embed.weight".
  constexpr std::string_view suffix = ".weight";
  if (!name.ends_with(suffix)) return true;
  std::string_view owner(name.data(), name.size() - suffix.size());
  owner = owner.substr(owner.rfind('.') + 1);  // npos + 1 == 0: the whole prefix
  constexpr std::array<std::string_view, 4> tables{"wte", "wpe", "embed", "pos"};
  for (std::string_view t : tables)
    if (owner == t) return false;
  return true;
}

bool decay_matrices(const std::string&, const Tensor& param) { return param.dim() >= 2; }

bool decay_all(const std::string&, const Tensor&) { return true; }

Optimizer::Optimizer(const NamedParams& params, double lr, double weight_decay, const DecayRule& rule)
    : lr_(lr) {
  // name() is not callable yet (we are inside the base constructor).
  QKV_CHECK(lr >= 0, "optimizer: learning rate must be >= 0, got {}", lr);
  QKV_CHECK(weight_decay >= 0, "optimizer: weight_decay must be >= 0, got {}", weight_decay);
  std::set<std::string> names;
  std::set<const TensorImpl*> seen;
  for (const auto& [name, p] : params) {
    QKV_CHECK(p.defined(), "optimizer: parameter '{}' is undefined", name);
    QKV_CHECK(names.insert(name).second, "optimizer: two parameters are named '{}'", name);
    if (!seen.insert(p.impl()).second) continue;  // tied: one update per tensor
    check_floating(p, "optimizer");
    params_.emplace_back(name, p);
    decay_.push_back(weight_decay != 0 && rule(name, p) ? weight_decay : 0.0);
  }
  slots_.resize(params_.size());
}

void Optimizer::set_lr(double lr) {
  QKV_CHECK(lr >= 0, "{}: learning rate must be >= 0, got {}", name(), lr);
  lr_ = lr;
}

std::vector<Tensor> Optimizer::parameters() const {
  std::vector<Tensor> out;
  for (const auto& [name, p] : params_) out.push_back(p);
  return out;
}

double Optimizer::weight_decay_of(const std::string& name) const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].first == name) return decay_[i];
  fail("{}: no parameter named '{}'", this->name(), name);
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i].second;
    Tensor g = p.grad();
    if (!g.defined()) continue;
    // Kernels run on contiguous buffers; a strided parameter is updated through a copy.
    Tensor work = p.is_contiguous() ? p : contiguous(p);
    slots_[i].step += 1;
    update(work, contiguous(g), decay_[i], slots_[i]);
    if (!work.same(p)) copy_(p, work);
  }
}

void Optimizer::zero_grad() {
  for (const auto& [name, p] : params_) p.zero_grad();
}

Tensor& Optimizer::buffer(Slot& slot, const std::string& key, const Tensor& p) {
  auto it = slot.buffers.find(key);
  if (it == slot.buffers.end()) return slot.buffers[key] = zeros(p.shape(), p.dtype());
  // A module converted with to(dtype) after stepping would otherwise fail deep in a kernel.
  QKV_CHECK(it->second.dtype() == p.dtype(), "{}: state '{}' is {} but its parameter is {}", name(), key,
        describe(it->second), describe(p));
  return it->second;
}

StateDict Optimizer::state_dict() const {
  NoGradGuard no_grad;
  StateDict out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Slot& s = slots_[i];
    if (s.step == 0) continue;
    ParamState& st = out[params_[i].first];
    for (const auto& [key, t] : s.buffers) st[key] = clone(t);
    st["step"] = Tensor::from(std::vector<int64_t>{s.step}, {});
  }
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  NoGradGuard no_grad;
  std::vector<Slot> loaded(params_.size());
  std::vector<std::string> keys = buffer_keys();
  size_t found = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [pname, p] = params_[i];
    auto it = state.find(pname);
    if (it == state.end()) continue;
    ++found;
    const ParamState& st = it->second;
    auto step = st.find("step");
    QKV_CHECK(step != st.end(), "{}: state of '{}' has no 'step'", name(), pname);
    QKV_CHECK(step->second.numel() == 1 && !step->second.is_floating_point() && step->second.item() >= 1,
          "{}: 'step' of '{}' must be one integer >= 1, got {}", name(), pname, step->second.str());
    loaded[i].step = static_cast<int64_t>(step->second.item());
    for (const auto& [key, t] : st) {
      if (key == "step") continue;
      QKV_CHECK(std::find(keys.begin(), keys.end(), key) != keys.end(), "{}: unknown state '{}' for '{}'",
            name(), key, pname);
      QKV_CHECK(t.shape() == p.shape(), "{}: state '{}' of '{}' is {}, the parameter is {}", name(), key, pname,
            describe(t), describe(p));
      loaded[i].buffers[key] = to_dtype(t, p.dtype()).clone();  // clone: never share the caller's storage
    }
    for (const std::string& key : keys)
      QKV_CHECK(loaded[i].buffers.count(key), "{}: state of '{}' lacks '{}'", name(), pname, key);
  }
  if (found != state.size())
    for (const auto& [pname, st] : state) {
      bool known = false;
      for (const auto& [n, p] : params_) known |= n == pname;
      QKV_CHECK(known, "{}: state for unknown parameter '{}'", name(), pname);
    }
  slots_ = std::move(loaded);
}

}  // namespace qkv::optim
