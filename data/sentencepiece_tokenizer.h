// Internal to data/: the SentencePiece side of load_tokenizer (tokenizer.h is the interface).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "data/tokenizer.h"

namespace qkv::data {

// Rebuilds a "bpe" or "unigram" tokenizer from its blob payload (the model proto in base64).
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& kind, std::string_view payload);

}  // namespace qkv::data
