#include "data/tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "base/error.h"
#include "data/sentencepiece_tokenizer.h"
#include "data/utf8.h"

namespace qkv::data {

namespace {

constexpr std::string_view kBlobMagic = "qkv-tokenizer 1 ";

class CharTokenizer : public Tokenizer {
 public:
  explicit CharTokenizer(std::vector<char32_t> chars) : chars_(std::move(chars)) {
    for (size_t i = 0; i < chars_.size(); ++i) ids_[chars_[i]] = static_cast<int32_t>(i);
  }

  std::string kind() const override { return std::string(name_of(TokenizerKind::char_)); }
  int64_t vocab_size() const override { return static_cast<int64_t>(chars_.size()); }

  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      char32_t c = next_code_point(text, pos);
      auto it = ids_.find(c);
      if (it == ids_.end())
        fail("char tokenizer: {} at character {} is not in the vocabulary ({} characters)", describe_code_point(c),
             ids.size(), chars_.size());
      ids.push_back(it->second);
    }
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::string text;
    text.reserve(ids.size());
    for (int32_t id : ids) {
      QKV_CHECK(id >= 0 && id < vocab_size(), "char tokenizer: id {} is outside the vocabulary [0, {})", id, vocab_size());
      append_utf8(text, chars_[static_cast<size_t>(id)]);
    }
    return text;
  }

  std::string serialize() const override {
    std::string blob = std::string(kBlobMagic) + kind() + "\n";
    for (char32_t c : chars_) append_utf8(blob, c);
    return blob;
  }

 private:
  std::vector<char32_t> chars_;  // id -> code point, ascending
  std::unordered_map<char32_t, int32_t> ids_;
};

// The sorted distinct code points of some texts.
std::unique_ptr<Tokenizer> char_tokenizer_of(std::initializer_list<std::string_view> texts) {
  std::set<char32_t> seen;
  for (std::string_view text : texts) {
    QKV_CHECK(find_invalid_utf8(text) == std::string_view::npos, "char tokenizer: the text is not valid UTF-8");
    for (size_t pos = 0; pos < text.size();) seen.insert(next_code_point(text, pos));
  }
  QKV_CHECK(!seen.empty(), "char tokenizer: the text is empty");
  return std::make_unique<CharTokenizer>(std::vector<char32_t>(seen.begin(), seen.end()));
}

}  // namespace

std::unique_ptr<Tokenizer> make_char_tokenizer(std::string_view text) { return char_tokenizer_of({text}); }

std::unique_ptr<Tokenizer> build_tokenizer(TokenizerKind kind, const Corpus& corpus, int64_t vocab_size) {
  if (kind == TokenizerKind::char_) return char_tokenizer_of({corpus.train, corpus.val, corpus.test});
  // SentencePiece's model types are spelt as our names.
  return train_sentencepiece(corpus.train, std::string(name_of(kind)),
                             vocab_size > 0 ? vocab_size : kDefaultSubwordVocab);
}

std::unique_ptr<Tokenizer> load_tokenizer(std::string_view blob) {
  size_t eol = blob.find('\n');
  QKV_CHECK(blob.substr(0, kBlobMagic.size()) == kBlobMagic && eol != std::string_view::npos,
        "tokenizer: not a qkv tokenizer (the blob should start with '{}')", kBlobMagic);
  const std::string_view name = blob.substr(kBlobMagic.size(), eol - kBlobMagic.size());
  std::string_view payload = blob.substr(eol + 1);
  TokenizerKind kind{};
  if (!find_name(name, &kind)) fail("tokenizer: unknown kind '{}' in the tokenizer blob", name);
  if (kind == TokenizerKind::char_) {
    QKV_CHECK(find_invalid_utf8(payload) == std::string_view::npos, "tokenizer: char vocabulary is not valid UTF-8");
    std::vector<char32_t> chars;
    for (size_t pos = 0; pos < payload.size();) chars.push_back(next_code_point(payload, pos));
    QKV_CHECK(!chars.empty() && std::is_sorted(chars.begin(), chars.end()) &&
              std::adjacent_find(chars.begin(), chars.end()) == chars.end(),
          "tokenizer: char vocabulary must be distinct characters in ascending order");
    return std::make_unique<CharTokenizer>(std::move(chars));
  }
  return load_sentencepiece(std::string(name), payload);
}

}  // namespace qkv::data
