// Positions and the model inputs (nn/positions.h).
#include "nn/positions.h"

#include <cmath>
#include <vector>

#include "autograd/autograd.h"

namespace qkv::nn {

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

Tensor apply_rope(const Tensor& x, int64_t offset, double base) {
  check_floating(x, "apply_rope");
  QKV_CHECK(x.dim() >= 2 && x.size(-1) % 2 == 0, "apply_rope: expected [..., T, dh] with an even dh, got {}",
        describe(x));
  QKV_CHECK(offset >= 0, "apply_rope: offset must be >= 0, got {}", offset);
  const int64_t T = x.size(-2), dh = x.size(-1), half = dh / 2;
  // Pair (i, i + dh/2) at position p turns by the angle p * base^(-2i/dh):
  //   out = x * cos + rotate_half(x) * sin,  rotate_half(x) = (-x2, x1).
  std::vector<double> cos_table(T * dh), sin_table(T * dh);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double angle = static_cast<double>(offset + t) * std::pow(base, -2.0 * static_cast<double>(i) / dh);
      cos_table[t * dh + i] = cos_table[t * dh + i + half] = std::cos(angle);
      sin_table[t * dh + i] = sin_table[t * dh + i + half] = std::sin(angle);
    }
  Tensor cos_t = Tensor::from(cos_table, {T, dh}).to(x.dtype());
  Tensor sin_t = Tensor::from(sin_table, {T, dh}).to(x.dtype());
  Tensor rotated = concat({-x.slice(-1, half, dh), x.slice(-1, 0, half)}, -1);
  return x * cos_t + rotated * sin_t;
}

InputEmbedding make_input_embedding(const ModelConfig& cfg, Generator& gen) {
  InputEmbedding e;
  e.tokens = std::make_shared<Embedding>(cfg.vocab_size, cfg.n_embd, gen);
  if (cfg.positions == Positions::learned) e.positions = std::make_shared<Embedding>(cfg.block_size, cfg.n_embd, gen);
  return e;
}

Tensor embed_tokens(const Embedding& tokens, const Embedding* learned_positions, const ModelConfig& cfg,
                    const Tensor& ids, int64_t offset, const char* model) {
  QKV_CHECK(ids.dim() == 2, "{}: expected token ids [B,T], got {}", model, describe(ids));
  const int64_t T = ids.size(1);
  if (offset == 0)
    QKV_CHECK(T <= cfg.block_size, "{}: sequence of {} tokens is longer than block_size {}", model, T, cfg.block_size);
  else
    QKV_CHECK(offset + T <= cfg.block_size, "{}: {} cached + {} new tokens is longer than block_size {}", model, offset, T,
          cfg.block_size);
  Tensor x = tokens.forward(ids);  // [B,T,d]
  switch (cfg.positions) {
    case Positions::learned:
      return x + learned_positions->forward(
                     arange(static_cast<double>(offset), static_cast<double>(offset + T), 1.0, DType::i64));
    case Positions::sinusoidal:
      return x + sinusoidal_positions(T, cfg.n_embd, offset).to(x.dtype());
    case Positions::rope:
      return x;
  }
  return x;
}

}  // namespace qkv::nn
