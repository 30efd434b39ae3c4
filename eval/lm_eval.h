// Language-model evaluation over a whole split: the mean loss over every
// non-overlapping window of block_size + 1 tokens (the last partial window is left out).
#pragma once
#include <cstdint>
#include <vector>

#include "nn/gpt.h"

namespace qkv {

struct LmEval {
  double loss = 0;      // mean cross-entropy per token
  int64_t windows = 0;  // windows of block_size tokens scored
};

// Errors name the split's size when it holds fewer than block_size + 1 tokens.
LmEval evaluate_lm(const nn::GPT& model, const std::vector<int32_t>& tokens, int64_t batch_size);

}  // namespace qkv
