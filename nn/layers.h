// The basic layers: Linear (PyTorch layout), Embedding, LayerNorm, RMSNorm, Dropout.
// Initialisation is explicit: each constructor takes the generator and the std.
#pragma once
#include "base/generator.h"
#include "nn/module.h"

namespace qkv::nn {

// y = x W^T + b with W [out, in] and b [out], as torch.nn.Linear.
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias, Generator& gen, double init_std = 0.02);
  Tensor forward(const Tensor& x) const;
  Tensor weight, bias;  // bias undefined when bias = false
};

// Rows of a [num, dim] table looked up by integer ids.
class Embedding : public Module {
 public:
  Embedding(int64_t num, int64_t dim, Generator& gen, double init_std = 0.02);
  Tensor forward(const Tensor& ids) const;
  Tensor weight;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, bool bias = true, double eps = 1e-5);
  Tensor forward(const Tensor& x) const;
  Tensor weight, bias;
  double eps;
};

class RMSNorm : public Module {
 public:
  explicit RMSNorm(int64_t dim, double eps = 1e-6);
  Tensor forward(const Tensor& x) const;
  Tensor weight;
  double eps;
};

// Inverted dropout drawing its masks from a generator the model owns.
class Dropout : public Module {
 public:
  Dropout(double prob, Generator* gen) : p(prob), gen_(gen) {}
  Tensor forward(const Tensor& x) const;
  double p;

 private:
  Generator* gen_;
};

}  // namespace qkv::nn
