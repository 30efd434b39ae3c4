#include "nn/layers.h"

#include "autograd/factory.h"
#include "autograd/ops/binary.h"
#include "autograd/ops/dropout.h"
#include "autograd/ops/indexing.h"
#include "autograd/ops/matmul.h"
#include "autograd/ops/norm.h"

namespace qkv::nn {

Linear::Linear(int64_t in, int64_t out, bool use_bias, Generator& gen, double init_std) {
  weight = register_parameter("weight", randn({out, in}, gen, DType::f32, 0.0, init_std));
  if (use_bias) bias = register_parameter("bias", zeros({out}));
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, weight, bias);
}

Embedding::Embedding(int64_t num, int64_t dim, Generator& gen, double init_std) {
  weight = register_parameter("weight", randn({num, dim}, gen, DType::f32, 0.0, init_std));
}

Tensor Embedding::forward(const Tensor& ids) const { return embedding(weight, ids); }

LayerNorm::LayerNorm(int64_t dim, bool use_bias, double eps) : eps(eps) {
  weight = register_parameter("weight", ones({dim}));
  if (use_bias) bias = register_parameter("bias", zeros({dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, weight, bias, eps); }

RMSNorm::RMSNorm(int64_t dim, double eps) : eps(eps) { weight = register_parameter("weight", ones({dim})); }

Tensor RMSNorm::forward(const Tensor& x) const { return rms_norm(x, weight, eps); }

Tensor Dropout::forward(const Tensor& x) const {
  if (!training() || p == 0.0) return x;
  return dropout(x, p, true, *gen_);
}

}  // namespace qkv::nn
