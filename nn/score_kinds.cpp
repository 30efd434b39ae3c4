// The score kinds of docs/design.md section 3, one descriptor each. The forwards are
// the composed autograd expressions the tape differentiates; dot also has the fused
// path (nn/attention.cpp). FLOPs per pair follow nn/count.cpp's header.
#include "nn/score_kinds.h"

#include <cmath>

#include "autograd/autograd.h"

namespace qkv::nn {

namespace {

constexpr double kCosineEps = 1e-6;
constexpr double kCosineTauInit = 10.0;

Tensor squared_norm(const Tensor& t) { return sum(t * t, {-1}, true); }  // [..., L, 1]

Tensor keys_t(const Tensor& k) { return k.transpose(-2, -1); }

double root_dh(const ScoreShape& s) { return std::sqrt(static_cast<double>(s.head_dim)); }

// q k^T / sqrt(dh); bilinear: x W_h m^T / sqrt(dh).
ScoreKindSpec dot() {
  ScoreKindSpec k{ScoreKind::dot};
  k.fused = true;
  k.accepts_bilinear = true;
  k.pair_flops = [](int64_t e) { return 2.0 * static_cast<double>(e); };
  k.kept_per_pair = [](int64_t) { return 2.0; };  // the product, scaled
  k.scores = [](const Tensor& q, const Tensor& key, const ScoreShape& s, const Tensor&) {
    return matmul(q, keys_t(key)) * (1.0 / root_dh(s));
  };
  return k;
}

// -|q - k|^2 / (2 sqrt(dh)) = (2 q.k - |q|^2 - |k|^2) / (2 sqrt(dh)): the norms are O(dh)
// per token, so a pair costs as much as dot.
ScoreKindSpec rbf() {
  ScoreKindSpec k{ScoreKind::rbf};
  k.pair_flops = [](int64_t e) { return 2.0 * static_cast<double>(e); };
  k.kept_per_pair = [](int64_t) { return 5.0; };  // product, doubled, minus each norm, scaled
  k.scores = [](const Tensor& q, const Tensor& key, const ScoreShape& s, const Tensor&) {
    return (matmul(q, keys_t(key)) * 2.0 - squared_norm(q) - keys_t(squared_norm(key))) * (1.0 / (2.0 * root_dh(s)));
  };
  return k;
}

// tau_h * cos(q, k), q and k normalised as t / sqrt(|t|^2 + 1e-6). tau starts at 10 for
// every head: a plain cosine in [-1, 1] is too flat for the softmax.
ScoreKindSpec cosine() {
  ScoreKindSpec k{ScoreKind::cosine};
  k.param_name = "tau";
  k.param_shape = [](const ScoreShape& s) { return Dims{s.n_head}; };
  k.param_init = [](const ScoreShape& s, Generator&) { return full({s.n_head}, kCosineTauInit); };
  k.pair_flops = [](int64_t e) { return 2.0 * static_cast<double>(e); };
  k.kept_per_pair = [](int64_t) { return 2.0; };  // the product, times tau
  k.scores = [](const Tensor& q, const Tensor& key, const ScoreShape& s, const Tensor& tau) {
    auto unit = [](const Tensor& t) { return t * rsqrt(squared_norm(t) + kCosineEps); };
    return matmul(unit(q), keys_t(unit(key))) * tau.reshape({1, s.n_head, 1, 1});
  };
  return k;
}

// v_h^T tanh(q_i + k_j) (Bahdanau), materialised as [B, H, T, S, dh]: add, tanh,
// multiply and sum over dh, 4 dh per pair.
ScoreKindSpec additive() {
  ScoreKindSpec k{ScoreKind::additive};
  k.param_name = "score_v";
  k.param_shape = [](const ScoreShape& s) { return Dims{s.n_head, s.head_dim}; };
  k.param_init = [](const ScoreShape& s, Generator& slot) {
    return randn({s.n_head, s.head_dim}, slot, DType::f32, 0.0, s.init_std);
  };
  k.pair_flops = [](int64_t e) { return 4.0 * static_cast<double>(e); };
  k.kept_per_pair = [](int64_t e) { return 3.0 * static_cast<double>(e) + 1; };  // q + k, tanh, times v; the sum
  k.scores = [](const Tensor& q, const Tensor& key, const ScoreShape& s, const Tensor& v) {
    Tensor hidden = tanh(q.unsqueeze(3) + key.unsqueeze(2));
    return sum(hidden * v.reshape({1, s.n_head, 1, 1, s.head_dim}), {-1});
  };
  return k;
}

}  // namespace

const ScoreKindSpec& score_kind(ScoreKind kind) {
  static const ScoreKindSpec table[] = {dot(), rbf(), cosine(), additive()};
  for (const ScoreKindSpec& k : table)
    if (k.kind == kind) return k;
  fail("attention: score = {} has no descriptor in nn/score_kinds.cpp", name_of(kind));
}

}  // namespace qkv::nn
