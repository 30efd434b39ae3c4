// Tokenizers: text <-> token ids, behind one interface, each serializable to a text blob
// that a checkpoint embeds so that it is self-contained.
//
// - char: one id per Unicode code point (not byte) of the corpus, ids in code point order,
//   as nanoGPT's character-level prepare.py. Encoding a character the vocabulary lacks is
//   an error that names it.
// - bpe, unigram: SentencePiece models trained by qkv on the corpus's train split through
//   the SentencePiece trainer API. Text round-trips exactly: no normalization, no dummy
//   prefix, whitespace kept as it is, "\n" a piece of its own, and byte fallback for
//   characters the training text lacks. Training is deterministic (a fixed seed, one
//   thread).
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/names.h"
#include "data/corpus.h"

namespace qkv::data {

// data.tokenizer in a config; spelt "char", "bpe", "unigram" (the table below).
enum class TokenizerKind { char_, bpe, unigram };

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string kind() const = 0;  // its TokenizerKind's name: "char", "bpe" or "unigram"
  virtual int64_t vocab_size() const = 0;
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(std::span<const int32_t> ids) const = 0;
  // A text blob load_tokenizer rebuilds it from: "qkv-tokenizer 1 KIND\n" then the payload
  // (char: the characters in id order; bpe/unigram: the model proto in base64).
  virtual std::string serialize() const = 0;
};

// A character vocabulary: the distinct code points of `text`.
std::unique_ptr<Tokenizer> make_char_tokenizer(std::string_view text);

// Trains a SentencePiece model ("bpe" or "unigram") on `text`, one sentence per line.
std::unique_ptr<Tokenizer> train_sentencepiece(std::string_view text, const std::string& model_type,
                                               int64_t vocab_size);

// The vocabulary size used for bpe and unigram when the config leaves it at 0.
constexpr int64_t kDefaultSubwordVocab = 4096;

// The tokenizer a config asks for: "char" takes its characters from every split (as nanoGPT
// builds its vocabulary from the whole text, so every validation character encodes);
// "bpe" and "unigram" are trained on the train split only (vocab_size 0: kDefaultSubwordVocab).
std::unique_ptr<Tokenizer> build_tokenizer(TokenizerKind kind, const Corpus& corpus, int64_t vocab_size = 0);

// Rebuilds a tokenizer from serialize()'s blob.
std::unique_ptr<Tokenizer> load_tokenizer(std::string_view blob);

}  // namespace qkv::data

namespace qkv {

template <>
struct EnumNames<data::TokenizerKind> {
  static constexpr std::pair<data::TokenizerKind, std::string_view> table[] = {
      {data::TokenizerKind::char_, "char"},
      {data::TokenizerKind::bpe, "bpe"},
      {data::TokenizerKind::unigram, "unigram"}};
};

}  // namespace qkv
