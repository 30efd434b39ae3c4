#include "train/utf8_text.h"

#include "data/utf8.h"

namespace qkv {
namespace {

struct Decoded {
  char32_t code_point;
  size_t bytes;
};

// The code point starting at text[i]; a byte that does not start a well-formed sequence
// stands alone, escaped as Python's surrogateescape does.
Decoded decode_at(std::string_view text, size_t i) {
  if (data::well_formed_length(text, i) == 0)
    return {static_cast<char32_t>(0xDC00 + static_cast<unsigned char>(text[i])), 1};
  size_t next = i;
  const char32_t c = data::next_code_point(text, next);
  return {c, next - i};
}

}  // namespace

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    Decoded d = decode_at(text, i);
    out.push_back(d.code_point);
    i += d.bytes;
  }
  return out;
}

bool is_unicode_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> words;
  size_t word_start = std::string_view::npos;
  for (size_t i = 0; i < text.size();) {
    Decoded d = decode_at(text, i);
    if (is_unicode_whitespace(d.code_point)) {
      if (word_start != std::string_view::npos) words.emplace_back(text.substr(word_start, i - word_start));
      word_start = std::string_view::npos;
    } else if (word_start == std::string_view::npos) {
      word_start = i;
    }
    i += d.bytes;
  }
  if (word_start != std::string_view::npos) words.emplace_back(text.substr(word_start));
  return words;
}

std::string_view strip_trailing_whitespace(std::string_view text) {
  size_t end = 0;  // just past the last non-whitespace code point
  for (size_t i = 0; i < text.size();) {
    Decoded d = decode_at(text, i);
    i += d.bytes;
    if (!is_unicode_whitespace(d.code_point)) end = i;
  }
  return text.substr(0, end);
}

}  // namespace qkv
