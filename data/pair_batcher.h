// Translation batches: sentence pairs framed for an encoder-decoder and padded to the
// longest sequence of the batch.
//
// A seq2seq model's vocabulary is the tokenizer's plus three ids of its own, after the
// tokenizer's (so any tokenizer works, char included): pad = V, bos = V + 1, eos = V + 2.
// A pair (source ids s, target ids t) becomes, as in Marian and fairseq:
//   src     = s + [eos]           the encoder input
//   tgt_in  = [bos] + t           the decoder input
//   tgt_out = t + [eos]           what the decoder must predict
// each right-padded with pad.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/generator.h"
#include "autograd/tensor.h"
#include "data/corpus.h"
#include "data/parallel_corpus.h"
#include "data/tokenizer.h"

namespace qkv::data {

struct SpecialIds {
  int32_t pad = 0, bos = 0, eos = 0;
  int64_t vocab_size = 0;  // the model's: the tokenizer's + 3
};
SpecialIds special_ids(int64_t tokenizer_vocab_size);

struct EncodedPair {
  std::vector<int32_t> src, tgt;
};

// Encoder inputs: each row's ids followed by eos, right-padded with pad to the longest
// row: int64 [rows, longest + 1]. What batches, translation and attention maps feed the
// encoder.
Tensor frame_sources(const std::vector<const std::vector<int32_t>*>& rows, const SpecialIds& ids);

// Each pair's two sides encoded with one (joint) tokenizer.
std::vector<EncodedPair> encode_pairs(const std::vector<SentencePair>& pairs, const Tokenizer& tokenizer);
// The pairs as text, one side per line (sources, then targets), split by split: what a
// joint tokenizer is trained on (build_tokenizer reads the train split; char all splits).
Corpus as_text(const ParallelCorpus& corpus);

struct PairBatch {
  Tensor src;     // int64 [B, S]
  Tensor tgt_in;  // int64 [B, T]
  Tensor tgt_out;  // int64 [B, T]
  int64_t target_tokens = 0;  // non-pad entries of tgt_out: what the loss is averaged over
};

class PairBatcher {
 public:
  // Pairs whose framed source or target is longer than max_len (the model's block_size)
  // are left out (dropped() counts them); an empty result is an error naming the split.
  PairBatcher(std::vector<EncodedPair> pairs, int64_t batch_size, int64_t max_len, SpecialIds ids,
              std::string split = "train");

  // B pairs of similar lengths: the pairs are kept sorted by (target length, source
  // length, a hash of their index that shuffles ties), and a batch is the window of B
  // consecutive pairs starting at gen.next_u64() % (n - B + 1) (all n when n < B), as
  // the LM batcher draws its windows. Random pairs would pad a batch to its longest
  // verse, about half of it padding on the Bible; a window pads a few tokens (Marian and
  // fairseq batch by length for the same reason). The same generator state gives the
  // same batch.
  PairBatch next(Generator& gen) const;
  // Pairs [first, first + count) of the sorted order (evaluation over a whole split).
  PairBatch slice(size_t first, size_t count) const;

  size_t size() const { return pairs_.size(); }
  int64_t dropped() const { return dropped_; }
  int64_t batch_size() const { return batch_size_; }
  const std::vector<EncodedPair>& pairs() const { return pairs_; }  // sorted by length
  const SpecialIds& ids() const { return ids_; }

 private:
  PairBatch frame(const std::vector<const EncodedPair*>& rows) const;

  std::vector<EncodedPair> pairs_;
  int64_t batch_size_;
  SpecialIds ids_;
  int64_t dropped_ = 0;
};

}  // namespace qkv::data
