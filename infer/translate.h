// Translating text with a seq2seq checkpoint: sentences encoded with the joint tokenizer,
// decoded greedily or with beam search in batches of similar lengths (sorted, as Marian
// does, so little of a batch is padding), and returned in the input's order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/pair_batcher.h"
#include "data/tokenizer.h"
#include "nn/seq2seq.h"

namespace qkv {

struct TranslateOptions {
  int64_t beam = 1;             // 1: greedy
  double length_penalty = 0.6;  // beam search: GNMT's alpha
  int64_t batch_size = 32;      // sentences per decoding batch
};

struct Translations {
  std::vector<std::string> text;  // one per source line
  int64_t truncated = 0;          // sources cut to block_size - 1 tokens
};

Translations translate(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer, const data::SpecialIds& ids,
                       const std::vector<std::string>& sources, const TranslateOptions& options = {});

}  // namespace qkv
