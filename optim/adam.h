// Adam and AdamW with torch.optim's semantics (PyTorch 1.13, single-tensor path): the
// same operations in the same order and precision, so 20 steps match torch to rounding.
#pragma once
#include "optim/optimizer.h"

namespace qkv::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // Adam: L2 added to the gradient; AdamW: decoupled
  // Which parameters decay; empty means the optimizer's default (Adam: all, as torch;
  // AdamW: decay_matrices_not_embeddings, as nanoGPT minus embeddings).
  DecayRule decay_rule;
};

// Per parameter, with t its step count:
//   g <- g + wd p                       (Adam's L2 decay)
//   m <- beta1 m + (1 - beta1) g
//   v <- beta2 v + (1 - beta2) g^2
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  Adam(const NamedParams& params, const AdamOptions& options = {});
  const char* name() const override { return decoupled_ ? "adamw" : "adam"; }

 protected:
  Adam(const NamedParams& params, const AdamOptions& options, bool decoupled);
  void update(const Tensor& p, const Tensor& g, double weight_decay, Slot& slot) override;
  std::vector<std::string> buffer_keys() const override { return {"exp_avg", "exp_avg_sq"}; }

 private:
  AdamOptions options_;
  bool decoupled_;
};

// AdamW (Loshchilov & Hutter): the decay is taken off the weights, not added to the
// gradient: p <- p (1 - lr wd) before the Adam update above (without its L2 line).
class AdamW : public Adam {
 public:
  // torch's default weight decay for AdamW.
  static AdamOptions defaults() {
    AdamOptions o;
    o.weight_decay = 1e-2;
    return o;
  }
  AdamW(const NamedParams& params, const AdamOptions& options = defaults());
};

}  // namespace qkv::optim
