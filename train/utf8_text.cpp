#include "train/utf8_text.h"

namespace qkv {
namespace {

struct Decoded {
  char32_t code_point;
  size_t bytes;
};

bool is_continuation(unsigned char b, unsigned char low = 0x80, unsigned char high = 0xBF) {
  return b >= low && b <= high;
}

// The code point starting at text[i]. The ranges are the well-formed sequences of
// Unicode's table 3-7 (no overlong forms, no surrogates, nothing above U+10FFFF); any
// other byte stands alone, escaped as Python's surrogateescape does.
Decoded decode_at(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  }
  bool valid = length > 0 && i + length <= text.size() && is_continuation(byte(i + 1), second_low, second_high);
  for (size_t k = 2; valid && k < length; ++k) valid = is_continuation(byte(i + k));
  if (!valid) return {static_cast<char32_t>(0xDC00 + lead), 1};
  char32_t c = lead & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k) c = (c << 6) | (byte(i + k) & 0x3F);
  return {c, length};
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
