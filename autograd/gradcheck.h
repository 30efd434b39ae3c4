// gradcheck: compares the gradients the tape computes with central finite
// differences, in float64. Reports, per input, the largest absolute and relative
// error and where it occurs (PyTorch's torch.autograd.gradcheck, with diagnostics).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace qkv {

using GradFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-6;  // pass when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
  // Fast mode compares u^T J v for a few random u, v instead of every Jacobian entry:
  // one backward and two forwards per projection, for large inputs.
  bool fast = false;
  int projections = 4;
  uint64_t seed = 1234;  // for the fast mode's random directions
};

struct InputReport {
  std::string name;
  Dims shape;
  double max_abs_err = 0;
  double max_rel_err = 0;    // |a - n| / max(|a|, |n|), 0 where both are 0
  Dims worst_index;          // input element with the largest violation (full mode)
  int64_t worst_output = -1; // flat output element there (full mode)
  double analytic = 0, numeric = 0;  // the two values at the worst entry
  bool passed = true;
};

struct GradcheckReport {
  std::vector<InputReport> inputs;  // one per input that requires grad
  bool passed = true;
  std::string str() const;          // one line per input
};

// Checks d f(inputs) / d input for every input that requires grad (float64 leaves).
// Inputs that do not require grad (index tensors, masks) are passed through as they are.
GradcheckReport gradcheck(const GradFn& f, const std::vector<Tensor>& inputs,
                          const std::vector<std::string>& names = {}, const GradcheckOptions& opt = {});

}  // namespace qkv
