// What the attention ops take besides q, k, v or the scores: which (query, key) entries
// are allowed, and how scores become weights (docs/design.md section 3, Masks and
// Normalization). nn and config include this for the Normalize enum and its names.
#pragma once
#include <cstdint>
#include <optional>

#include "autograd/tensor.h"
#include "base/names.h"

namespace qkv {

// How scores s become weights A; masked entries get A = 0 under every one.
//   keys:    A(i,j) = exp s(i,j) / sum over allowed j' of exp s(i,j')   (rows sum to 1)
//   queries: A(i,j) = exp s(i,j) / sum over allowed i' of exp s(i',j)   (columns sum to 1)
//   sigmoid: A(i,j) = sigmoid(s(i,j) + b_i), b_i = -log(n_i) by default, n_i the number of
//            allowed keys of row i (Ramapuram et al. 2024)
// A row (keys, sigmoid) or column (queries) without an allowed entry is all zeros and
// passes back a zero gradient.
enum class Normalize { keys, queries, sigmoid };

template <>
struct EnumNames<Normalize> {
  static constexpr std::pair<Normalize, std::string_view> table[] = {
      {Normalize::keys, "keys"}, {Normalize::queries, "queries"}, {Normalize::sigmoid, "sigmoid"}};
};

struct NormalizeOptions {
  Normalize kind = Normalize::keys;
  std::optional<double> sigmoid_bias;  // sigmoid only: b for every row instead of -log(n_i)
};

// Entry (i, j) of [B, H, T, S] is allowed when key j is not padded, query i is not padded
// and, if causal, j <= past + i (query i sits at absolute position past + i).
struct AttentionMask {
  bool causal = false;
  int64_t past = 0;
  Tensor key_padding;    // [B, S], any dtype, non-zero = key masked for every query
  // [B, T], any dtype, non-zero = query masked: its row is all zeros. For queries in
  // self-attention with key padding, pass the queries' slice of key_padding so padded
  // positions take no attention away from real ones.
  Tensor query_padding;
};

}  // namespace qkv
