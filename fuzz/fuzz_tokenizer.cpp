// The tokenizers: decoding arbitrary id sequences (char, bpe and unigram, trained once at
// start-up on a fixed text), encoding arbitrary bytes, and load_tokenizer of an arbitrary
// blob (what a checkpoint's tokenizer attribute holds). The first byte picks the mode:
//   0, 1, 2  decode the rest, read as little-endian int32 ids, with char, bpe or unigram
//   3        encode the rest with each; text that encodes must decode back to itself
//   4        load_tokenizer(rest), then decode each of its ids and encode a sample text
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "data/utf8.h"
#include "fuzz/fuzz_support.h"

namespace {

using qkv::data::Tokenizer;

constexpr const char* kText =
    "In the beginning God created the heaven and the earth.\n"
    "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
    "Y la tierra estaba desordenada y vacía, y las tinieblas estaban sobre la faz del abismo.\n"
    "Und Gott sprach: Es werde Licht! Und es ward Licht. \xE2\x9C\x93 \xF0\x9F\x98\x80\n";

struct Tokenizers {
  std::unique_ptr<Tokenizer> by_mode[3];
};

const Tokenizers& tokenizers() {
  static const Tokenizers t = [] {
    Tokenizers t;
    std::string text;
    for (int i = 0; i < 20; ++i) text += kText;
    t.by_mode[0] = qkv::data::make_char_tokenizer(kText);
    t.by_mode[1] = qkv::data::train_sentencepiece(text, "bpe", 300);
    t.by_mode[2] = qkv::data::train_sentencepiece(text, "unigram", 300);
    return t;
  }();
  return t;
}

std::vector<int32_t> ids_of(std::string_view bytes) {
  std::vector<int32_t> ids(bytes.size() / 4);
  if (!ids.empty()) std::memcpy(ids.data(), bytes.data(), ids.size() * 4);
  return ids;
}

void check_round_trip(const Tokenizer& tok, std::string_view text) {
  std::vector<int32_t> ids;
  try {
    ids = tok.encode(text);
  } catch (const qkv::Error&) {
    return;  // e.g. a character the char vocabulary lacks
  }
  for (int32_t id : ids) QKV_FUZZ_ASSERT(id >= 0 && id < tok.vocab_size(), "encode returned an id outside the vocabulary");
  // The round trip is promised for text, which is UTF-8 (corpora are checked when read):
  // SentencePiece encodes a malformed byte as U+FFFD. And SentencePiece takes U+2581 (its
  // pieces' mark for a space) for a space: a text that holds one decodes with a space there.
  if (qkv::data::find_invalid_utf8(text) != std::string_view::npos) return;
  if (tok.kind() != "char" && text.find("\xE2\x96\x81") != std::string_view::npos) return;
  QKV_FUZZ_ASSERT(tok.decode(ids) == text, "decode(encode(text)) differs from the text");
}

// QKV_FUZZ_WRITE_SEEDS=DIR: writes seed inputs of each mode into DIR (how
// fuzz/corpus/tokenizer was made): the three tokenizers' blobs, and ids and text of kText.
void write_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, char mode, std::string_view payload) {
    std::ofstream out(dir / name, std::ios::binary);
    out << mode << payload;
  };
  const char* names[] = {"char", "bpe", "unigram"};
  for (int mode = 0; mode < 3; ++mode) {
    const Tokenizer& tok = *tokenizers().by_mode[mode];
    std::vector<int32_t> ids = tok.encode(kText);
    write(std::string("decode-") + names[mode], static_cast<char>(mode),
          std::string_view(reinterpret_cast<const char*>(ids.data()), ids.size() * 4));
    write(std::string("blob-") + names[mode], 4, tok.serialize());
  }
  write("encode", 3, kText);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tokenizers();
  if (const char* dir = std::getenv("QKV_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qkv;
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  const int mode = data[0] % 5;
  fuzz::expect_only_qkv_errors([&] {
    if (mode < 3) {
      tokenizers().by_mode[mode]->decode(ids_of(rest));
    } else if (mode == 3) {
      for (const auto& tok : tokenizers().by_mode) check_round_trip(*tok, rest);
    } else {
      std::unique_ptr<Tokenizer> tok = data::load_tokenizer(rest);
      QKV_FUZZ_ASSERT(tok->vocab_size() > 0, "a loaded tokenizer has no vocabulary");
      std::vector<int32_t> all;
      for (int32_t id = 0; id < tok->vocab_size() && id < 4096; ++id) all.push_back(id);
      fuzz::expect_only_qkv_errors([&] { tok->decode(all); });
      check_round_trip(*tok, "the cat sat on the mat\n");
    }
  });
  return 0;
}
