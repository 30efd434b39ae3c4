// The tape: every op that runs in grad mode with an input that requires grad
// appends one entry (its output and its backward function). Tensor::backward()
// replays the entries in reverse, accumulating gradients, then clears the tape
// and frees what the entries saved.
#pragma once
#include <functional>
#include <vector>

#include "base/profile.h"
#include "autograd/tensor.h"

namespace qkv {

// Receives the gradient of the entry's output; calls accumulate_grad on its inputs.
using BackwardFn = std::function<void(const Tensor& grad_output)>;

struct TapeEntry {
  const char* op;
  Tensor output;
  BackwardFn backward;
  profile::Family family = profile::Family::other;  // only set while profiling
};

class Tape {
 public:
  int64_t size() const { return static_cast<int64_t>(entries_.size()); }
  uint64_t generation() const { return generation_; }
  void push(TapeEntry e) { entries_.push_back(std::move(e)); }
  TapeEntry& operator[](int64_t i) { return entries_[i]; }
  // Drops every entry (and what it saved); tensors from before become unreplayable.
  void clear();

 private:
  std::vector<TapeEntry> entries_;
  uint64_t generation_ = 1;
};

Tape& tape();  // this thread's tape

bool grad_enabled();
void set_grad_enabled(bool on);

// Turns recording off for its scope (evaluation, sampling, optimizer steps).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// True when grad mode is on and any of the inputs requires grad: the op must record.
template <typename... Ts>
bool any_requires_grad(const Ts&... ts) {
  return grad_enabled() && (ts.requires_grad() || ...);
}
bool any_requires_grad(const std::vector<Tensor>& ts);

// Watches a backward pass on this thread: told whenever a leaf's gradient has received a
// contribution, and after each tape entry has run. A data-parallel reducer uses it to start
// averaging the gradients that backward has finished while the rest of backward runs.
class BackwardObserver {
 public:
  virtual ~BackwardObserver() = default;
  virtual void leaf_gradient(TensorImpl* leaf) = 0;
  virtual void entry_done() = 0;
};
// nullptr: none (the default). The observer must outlive its installation.
void set_backward_observer(BackwardObserver* observer);
BackwardObserver* backward_observer();

// Marks `out` as produced by op and appends its backward to the tape.
void record(const char* op, Tensor& out, BackwardFn backward);

}  // namespace qkv
