// The feed-forward sublayer: GELU (fc -> gelu -> proj) or SwiGLU
// (proj(silu(gate(x)) * fc(x))), hidden size from the config.
#pragma once
#include "nn/config.h"
#include "nn/layers.h"

namespace qkv::nn {

class MLP : public Module {
 public:
  MLP(int64_t d, int64_t hidden, MlpKind kind, bool bias, Generator& gen, double init_std = 0.02,
      double out_init_std = 0.02);
  Tensor forward(const Tensor& x) const;
  std::shared_ptr<Linear> fc, gate, proj;  // gate only for SwiGLU

 private:
  MlpKind kind_;
};

}  // namespace qkv::nn
