// Positions, docs/design.md section 4: a learned table, the sinusoidal table, or rotary
// embeddings inside attention (RoPE); and the input side of GPT and Seq2Seq, token
// embeddings plus positions.
#pragma once
#include <memory>

#include "nn/config.h"
#include "nn/layers.h"

namespace qkv::nn {

// Sinusoidal position table [T, d] for positions offset.. (Vaswani et al.), float32.
Tensor sinusoidal_positions(int64_t T, int64_t d, int64_t offset = 0);

// Rotary position embedding on x [B, H, T, dh] for positions offset, offset+1, ...
// (rotate-half form: pairs (i, i + dh/2)).
Tensor apply_rope(const Tensor& x, int64_t offset, double base = 10000.0);

// The token table and, for learned positions, the position table (null otherwise),
// drawn from gen in that order. The model registers them under its own names.
struct InputEmbedding {
  std::shared_ptr<Embedding> tokens, positions;
};
InputEmbedding make_input_embedding(const ModelConfig& cfg, Generator& gen);

// Token embeddings of ids [B,T] plus positions offset, offset+1, ... (the learned table,
// the sinusoidal table, or nothing for rope, which acts inside attention). An error
// names `model`, the length and block_size when offset + T > block_size.
Tensor embed_tokens(const Embedding& tokens, const Embedding* learned_positions, const ModelConfig& cfg,
                    const Tensor& ids, int64_t offset, const char* model);

}  // namespace qkv::nn
