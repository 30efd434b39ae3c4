// Module: the base of every layer and model. Holds parameters and submodules under
// PyTorch-style dotted names ("blocks.0.attn.q_proj.weight"), which are also the
// checkpoint keys and the names used to load PyTorch weights.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace qkv::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter of this module and its submodules, in registration order.
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  int64_t num_parameters() const;

  void train(bool on = true);  // recursive; dropout and friends read training()
  void eval() { train(false); }
  bool training() const { return training_; }

  // Converts every parameter to dtype in place: handles held by layers stay valid.
  void to(DType dtype);
  void zero_grad();

  // name -> parameter (shares storage). load copies values in, checking that the names
  // match exactly and that every shape agrees; errors name the offending parameter.
  std::map<std::string, Tensor> state_dict() const;
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // Registers a parameter (made a leaf that requires grad) and returns the handle to keep.
  Tensor register_parameter(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    children_.emplace_back(name, module);
    return module;
  }

 private:
  void collect(const std::string& prefix, NamedTensors& out) const;
  NamedTensors params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace qkv::nn
