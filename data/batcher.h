// Language-model batches, as nanoGPT's get_batch: B windows of T + 1 consecutive tokens
// at random offsets of one split's token stream. Each split has its own batcher over its
// own tokens, so no validation token ever appears in a training batch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/generator.h"
#include "autograd/tensor.h"
#include "data/corpus.h"
#include "data/tokenizer.h"

namespace qkv::data {

struct LMBatch {
  Tensor x;  // int64 [B, T]: the inputs
  Tensor y;  // int64 [B, T]: the targets, x shifted left by one token
};

class LMBatcher {
 public:
  // `split` names the stream in errors ("train", "val"). Needs at least block_size + 1 tokens.
  LMBatcher(std::vector<int32_t> tokens, int64_t batch_size, int64_t block_size, std::string split = "train");

  // Row b (b = 0 .. B-1, drawn in that order) starts at s_b = gen.next_u64() % (n - T):
  // x[b] = tokens[s_b, s_b + T), y[b] = tokens[s_b + 1, s_b + T + 1). The same generator
  // state gives the same batch; a port to another language only needs this formula.
  LMBatch next(Generator& gen) const;

  int64_t num_tokens() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t batch_size() const { return batch_size_; }
  int64_t block_size() const { return block_size_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

 private:
  std::vector<int32_t> tokens_;
  int64_t batch_size_, block_size_;
  std::string split_;
};

// A corpus's splits as token streams (test is empty when the corpus has none).
struct TokenizedCorpus {
  std::vector<int32_t> train, val, test;
};
TokenizedCorpus tokenize(const Corpus& corpus, const Tokenizer& tokenizer);

}  // namespace qkv::data
