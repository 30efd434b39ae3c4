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

Tensor sinusoidal_positions(int64_t T, int64_t d, int64_t offset) {
  // PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))
  Tensor pe = Tensor::empty({T, d}, DType::f32);
  float* out = pe.data<float>();
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < d; ++i) {
      double freq = std::pow(10000.0, -static_cast<double>(i - i % 2) / static_cast<double>(d));
      double angle = static_cast<double>(t + offset) * freq;
      out[t * d + i] = static_cast<float>(i % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return pe;
}

}  // namespace qkv::nn
