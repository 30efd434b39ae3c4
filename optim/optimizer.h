// Optimizer: the base of SGD, Adam and AdamW. It holds named parameters (the output of
// nn::Module::named_parameters()), each with its weight decay and its state (moment
// buffers and step count), and updates them in place under NoGradGuard.
//
// Gradient accumulation needs nothing from here: backward() adds into .grad, so a
// step over k micro-batches is
//     opt.zero_grad();
//     for (micro-batch) (loss / k).backward();   // the 1/k scaling is the loop's
//     clip_grad_norm(opt.parameters(), max_norm);
//     opt.set_lr(schedule.at(it));
//     opt.step();
#pragma once
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.h"

namespace qkv::optim {

// The same type as nn::NamedTensors: optim does not depend on nn.
using NamedParams = std::vector<std::pair<std::string, Tensor>>;

// A parameter's state by key ("exp_avg", "exp_avg_sq", "momentum_buffer", and "step" as
// an int64 scalar), and every parameter's state by parameter name: what a checkpoint
// stores under /optim/<name>/<key>.
using ParamState = std::map<std::string, Tensor>;
using StateDict = std::map<std::string, ParamState>;

// Whether a parameter gets weight decay, decided from its name and tensor.
using DecayRule = std::function<bool(const std::string& name, const Tensor& param)>;

// nanoGPT's grouping, with embeddings excluded as our issue asks: decay matrices
// (dim >= 2) but not biases, norm weights (1-D) or embedding tables (a "weight" owned by a
// module named wte, wpe, embed or pos, e.g. "wte.weight" or "decoder.embed.weight").
bool decay_matrices_not_embeddings(const std::string& name, const Tensor& param);
// nanoGPT's own grouping: every tensor with dim >= 2 decays, embedding tables included.
bool decay_matrices(const std::string& name, const Tensor& param);
// Every parameter decays: torch's semantics for one parameter group.
bool decay_all(const std::string& name, const Tensor& param);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient (the others, and their state, are left
  // as they are), in place on its storage.
  void step();
  // Drops every parameter's gradient (PyTorch's set_to_none).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);  // schedules call this before each step

  const NamedParams& named_parameters() const { return params_; }
  std::vector<Tensor> parameters() const;
  // The weight decay each parameter gets (0 where the decay rule said no).
  double weight_decay_of(const std::string& name) const;

  // A copy of the state of every parameter stepped so far (stepping on does not change
  // it). load_state_dict copies it back, so a fresh optimizer over the same parameters
  // continues bit for bit. Loading checks names, keys and shapes, converts the dtype to
  // the parameter's, and clears the state of parameters the dict does not name.
  StateDict state_dict() const;
  void load_state_dict(const StateDict& state);

  virtual const char* name() const = 0;

 protected:
  // Parameters listed twice (tied weights) are kept once, under their first name.
  Optimizer(const NamedParams& params, double lr, double weight_decay, const DecayRule& rule);

  struct Slot {
    ParamState buffers;  // moment buffers, created on the parameter's first step
    int64_t step = 0;    // steps this parameter has taken (bias correction counts these)
  };
  // One parameter's update, with p and g contiguous and of the same dtype and shape.
  virtual void update(const Tensor& p, const Tensor& g, double weight_decay, Slot& slot) = 0;
  // The buffer keys a stepped parameter holds (besides "step").
  virtual std::vector<std::string> buffer_keys() const = 0;

  // slot's buffer `key` for p: a zero-filled contiguous tensor like p on first use.
  Tensor& buffer(Slot& slot, const std::string& key, const Tensor& p);

 private:
  NamedParams params_;
  std::vector<double> decay_;  // per parameter
  std::vector<Slot> slots_;    // per parameter
  double lr_;
};

}  // namespace qkv::optim
