// One descriptor per attention score kind (docs/design.md section 3): its own parameter,
// its forward, its cost and whether qk = bilinear may define it. MultiHeadAttention
// (nn/attention.cpp) and the counts (nn/count.cpp) consult the descriptor instead of
// switching on the kind, so a new score kind is one entry in score_kinds.cpp, one name
// in EnumNames<ScoreKind> (nn/config.h) and its tests.
//
// qk = bilinear is a qk mode that defines its score: a dot product of q = x W_h against
// the raw d-wide memory rows. It uses the dot descriptor with key width d, and only a
// kind with accepts_bilinear (dot) may be combined with it.
#pragma once
#include "autograd/tensor.h"
#include "base/dims.h"
#include "base/generator.h"
#include "nn/config.h"

namespace qkv::nn {

// What a score needs to know about its layer.
struct ScoreShape {
  int64_t n_head = 1;
  int64_t head_dim = 1;  // the scale 1/sqrt(dh) uses it, also for bilinear's d-wide keys
  double init_std = 0.02;
};

struct ScoreKindSpec {
  ScoreKind kind;
  // Runs through the fused scaled_dot_attention op when the weights are not asked for.
  bool fused = false;
  // qk = bilinear computes its score with this kind (only dot).
  bool accepts_bilinear = false;
  // The kind's own parameter, registered after the projections; nullptr: none.
  const char* param_name = nullptr;
  Dims (*param_shape)(const ScoreShape&) = nullptr;
  // Its initial value; `slot` is the layer's score generator (forked whether used or not).
  Tensor (*param_init)(const ScoreShape&, Generator& slot) = nullptr;
  // Forward FLOPs of one (query, key) pair in one head, keys key_width wide (nn/count.cpp).
  double (*pair_flops)(int64_t key_width) = nullptr;
  // Floats its composed forward leaves on the tape per (query, key) pair and head, keys
  // key_width wide: each intermediate [B, H, T, S] (or [.., e]) tensor of `scores`
  // below (the memory estimate, nn/memory_estimate.cpp).
  double (*kept_per_pair)(int64_t key_width) = nullptr;
  // Scores [B, H, T, S] of queries q [B, H, T, e] against keys k [B, H or 1, S, e].
  Tensor (*scores)(const Tensor& q, const Tensor& k, const ScoreShape&, const Tensor& param) = nullptr;

  int64_t param_count(const ScoreShape& s) const { return param_shape ? param_shape(s).numel() : 0; }
};

// The descriptor of `kind`; an Error when a kind has none.
const ScoreKindSpec& score_kind(ScoreKind kind);

}  // namespace qkv::nn
