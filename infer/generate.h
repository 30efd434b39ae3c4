// Sampling text from a GPT: temperature, top-k, a seeded generator, and the key/value
// cache so each new token costs one position of attention per layer.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/gpt.h"

namespace qkv {

struct SampleOptions {
  int64_t max_new_tokens = 500;
  double temperature = 1.0;  // 0: always the most likely token
  int64_t top_k = 0;         // 0: the whole vocabulary
  uint64_t seed = 0;
  // false: recompute the whole (cropped) context for every token, as nanoGPT's generate.
  bool use_cache = true;
};

// The prompt followed by max_new_tokens sampled ids. The context is the last block_size
// tokens; with the cache, when it is full the cache is rebuilt from the newest half.
std::vector<int32_t> generate(const nn::GPT& model, std::vector<int32_t> prompt, const SampleOptions& opt);

}  // namespace qkv
