// Helpers shared by the attention op tests (test_fused_attention, test_attention_normalize).
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/autograd.h"

namespace qkv::test {

// An attention's output and the gradients of q, k and v.
struct AttentionResult {
  Tensor out, dq, dk, dv;
};

// randn [B, h, L, e] that requires grad; permuted: as split_heads' view of a [B, L, h, e]
// buffer (heads read in place, not contiguous).
inline Tensor head_input(int64_t B, int64_t h, int64_t L, int64_t e, bool permuted, DType dt, Generator& gen) {
  if (!permuted) return randn({B, h, L, e}, gen, dt).requires_grad_();
  return randn({B, L, h, e}, gen, dt).permute({0, 2, 1, 3}).detach().requires_grad_();
}

// f()'s output and the gradients that sum(out * grad_out) sends to q, k and v.
template <typename F>
AttentionResult backward_of(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& grad_out, F&& f) {
  for (const Tensor& t : {q, k, v}) t.zero_grad();
  Tensor out = f();
  sum(out * grad_out).backward();
  return {out.detach(), q.grad(), k.grad(), v.grad()};
}

// Largest |a - b| / max(1, |b|).
inline double max_rel_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]) / std::max(1.0, std::abs(y[i])));
  return m;
}

}  // namespace qkv::test
