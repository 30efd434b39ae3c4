#include "data/sentencepiece_tokenizer.h"

#include <fmt/format.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "base/error.h"

namespace qkv::data {
namespace {

// The model proto is binary; the blob stays text (a checkpoint stores it as a string).
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    size_t n = std::min<size_t>(3, bytes.size() - i);  // bytes in this group
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kBase64[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  std::array<int, 256> value;
  value.fill(-1);
  for (size_t i = 0; i < kBase64.size(); ++i) value[static_cast<uint8_t>(kBase64[i])] = static_cast<int>(i);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = value[static_cast<uint8_t>(c)];
    QKV_CHECK(v >= 0, "tokenizer: the SentencePiece model in the blob is not base64 (byte 0x{:02X})",
          static_cast<uint8_t>(c));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// Training sentences: the text's non-empty lines. Longer lines than SentencePiece takes
// are cut at a space (or a code point boundary) into pieces of at most kMaxSentence bytes.
constexpr size_t kMaxSentence = 1 << 14;

class LineIterator : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(std::string_view text) : text_(text) { Next(); }
  bool done() const override { return done_; }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return {}; }

  void Next() override {
    while (pos_ < text_.size()) {
      size_t eol = std::min(text_.find('\n', pos_), text_.size());
      size_t end = eol;
      if (end - pos_ > kMaxSentence) {
        end = text_.rfind(' ', pos_ + kMaxSentence);
        if (end == std::string_view::npos || end <= pos_) {
          end = pos_ + kMaxSentence;
          while (end > pos_ && (static_cast<uint8_t>(text_[end]) & 0xC0) == 0x80) --end;
        }
      }
      line_.assign(text_.substr(pos_, end - pos_));
      pos_ = end == eol ? eol + 1 : end;
      if (!line_.empty()) return;
    }
    done_ = true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  std::string line_;
  bool done_ = false;
};

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(std::string kind, std::string proto) : kind_(std::move(kind)), proto_(std::move(proto)) {
    auto status = sp_.LoadFromSerializedProto(proto_);
    QKV_CHECK(status.ok(), "{} tokenizer: cannot load the SentencePiece model: {}", kind_, status.ToString());
    newline_id_ = sp_.PieceToId("\n");
    QKV_CHECK(newline_id_ != sp_.unk_id(), "{} tokenizer: the SentencePiece model has no newline piece", kind_);
  }

  std::string kind() const override { return kind_; }
  int64_t vocab_size() const override { return sp_.GetPieceSize(); }

  // Line by line: "\n" is a piece of its own that no other piece spans.
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    std::vector<int> line_ids;
    for (size_t pos = 0; pos <= text.size();) {
      size_t eol = std::min(text.find('\n', pos), text.size());
      auto status = sp_.Encode(text.substr(pos, eol - pos), &line_ids);
      QKV_CHECK(status.ok(), "{} tokenizer: encode failed: {}", kind_, status.ToString());
      ids.insert(ids.end(), line_ids.begin(), line_ids.end());
      if (eol == text.size()) break;
      ids.push_back(newline_id_);
      pos = eol + 1;
    }
    return ids;
  }

  std::string decode(std::span<const int32_t> ids) const override {
    std::vector<int> v(ids.begin(), ids.end());
    for (int id : v)
      QKV_CHECK(id >= 0 && id < vocab_size(), "{} tokenizer: id {} is outside the vocabulary [0, {})", kind_, id,
            vocab_size());
    std::string text;
    auto status = sp_.Decode(v, &text);
    QKV_CHECK(status.ok(), "{} tokenizer: decode failed: {}", kind_, status.ToString());
    return text;
  }

  std::string serialize() const override { return fmt::format("qkv-tokenizer 1 {}\n{}", kind_, base64_encode(proto_)); }

 private:
  std::string kind_;
  std::string proto_;  // the serialized ModelProto
  sentencepiece::SentencePieceProcessor sp_;
  int newline_id_ = 0;
};

}  // namespace

std::unique_ptr<Tokenizer> train_sentencepiece(std::string_view text, const std::string& model_type,
                                               int64_t vocab_size) {
  QKV_CHECK(model_type == "bpe" || model_type == "unigram", "tokenizer: unknown SentencePiece model type '{}'", model_type);
  QKV_CHECK(vocab_size > 0, "{} tokenizer: vocab_size must be positive, got {}", model_type, vocab_size);
  // Exact round trips (identity normalization, whitespace kept, no dummy prefix, "\n" a
  // piece, bytes for unseen characters) and determinism (fixed seed, one thread).
  std::unordered_map<std::string, std::string> args = {
      {"model_type", model_type},
      {"vocab_size", std::to_string(vocab_size)},
      {"character_coverage", "1.0"},
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "false"},
      {"user_defined_symbols", "\n"},
      {"unk_id", "0"},
      {"bos_id", "-1"},
      {"eos_id", "-1"},
      {"pad_id", "-1"},
      {"num_threads", "1"},
      {"input_sentence_size", "2000000"},
      {"shuffle_input_sentence", "true"},
      {"max_sentence_length", std::to_string(kMaxSentence)},
      {"hard_vocab_limit", "false"},
      {"minloglevel", "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(20240917);
  LineIterator lines(text);
  QKV_CHECK(!lines.done(), "{} tokenizer: the training text is empty", model_type);
  std::string proto;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &lines, &proto);
  QKV_CHECK(status.ok(), "{} tokenizer: SentencePiece training failed (vocab_size {}): {}", model_type, vocab_size,
        status.ToString());
  return std::make_unique<SentencePieceTokenizer>(model_type, std::move(proto));
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& kind, std::string_view payload) {
  return std::make_unique<SentencePieceTokenizer>(kind, base64_decode(payload));
}

}  // namespace qkv::data
