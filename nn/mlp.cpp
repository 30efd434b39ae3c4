#include "nn/mlp.h"

#include <cmath>

#include "autograd/ops/activation.h"
#include "autograd/ops/binary.h"
#include "autograd/ops/mlp.h"

namespace qkv::nn {

MLP::MLP(int64_t d, int64_t hidden, MlpKind kind, bool bias, Generator& gen, double init_std, double out_init_std)
    : kind_(kind) {
  // A generator per weight, forked whatever the kind and width: a wider or narrower MLP
  // (size-matched ablation variants) leaves the draws of every later layer unchanged.
  Generator fc_gen(gen.next_u64()), gate_gen(gen.next_u64()), proj_gen(gen.next_u64());
  fc = register_module("fc", std::make_shared<Linear>(d, hidden, bias, fc_gen, init_std));
  if (kind == MlpKind::swiglu) gate = register_module("gate", std::make_shared<Linear>(d, hidden, bias, gate_gen, init_std));
  proj = register_module("proj", std::make_shared<Linear>(hidden, d, bias, proj_gen, out_init_std));
}

Tensor MLP::forward(const Tensor& x) const {
  if (kind_ == MlpKind::swiglu) return proj->forward(silu(gate->forward(x)) * fc->forward(x));
  // exact (erf) GELU, as nanoGPT's nn.GELU(); one op that keeps the hidden layer once
  return gelu_mlp(x, fc->weight, fc->bias, proj->weight, proj->bias);
}

}  // namespace qkv::nn
