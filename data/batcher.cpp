#include "data/batcher.h"

#include "base/error.h"

namespace qkv::data {

LMBatcher::LMBatcher(std::vector<int32_t> tokens, int64_t batch_size, int64_t block_size, std::string split)
    : tokens_(std::move(tokens)), batch_size_(batch_size), block_size_(block_size), split_(std::move(split)) {
  QKV_CHECK(batch_size_ > 0 && block_size_ > 0, "batcher: batch_size and block_size must be positive, got {} and {}",
        batch_size_, block_size_);
  QKV_CHECK(num_tokens() > block_size_, "batcher: the {} split has {} tokens; block_size {} needs at least {}", split_,
        num_tokens(), block_size_, block_size_ + 1);
}

LMBatch LMBatcher::next(Generator& gen) const {
  const int64_t B = batch_size_, T = block_size_;
  const auto starts = static_cast<uint64_t>(num_tokens() - T);
  LMBatch batch{Tensor::empty({B, T}, DType::i64), Tensor::empty({B, T}, DType::i64)};
  int64_t* x = batch.x.data<int64_t>();
  int64_t* y = batch.y.data<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    const int32_t* window = tokens_.data() + gen.next_u64() % starts;
    for (int64_t t = 0; t < T; ++t) {
      x[b * T + t] = window[t];
      y[b * T + t] = window[t + 1];
    }
  }
  return batch;
}

TokenizedCorpus tokenize(const Corpus& corpus, const Tokenizer& tokenizer) {
  return {tokenizer.encode(corpus.train), tokenizer.encode(corpus.val), tokenizer.encode(corpus.test)};
}

}  // namespace qkv::data
