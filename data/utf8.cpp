#include "data/utf8.h"

#include <fmt/format.h>

namespace qkv::data {
namespace {

// Length of the sequence a lead byte announces; 0 for a byte that cannot lead one.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, overlong lead (C0, C1) or beyond U+10FFFF (F5..FF)
}

}  // namespace

size_t well_formed_length(std::string_view text, size_t i) {
  const size_t n = text.size();
  auto lead = static_cast<unsigned char>(text[i]);
  size_t len = static_cast<size_t>(sequence_length(lead));
  if (len == 0 || i + len > n) return 0;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 0;
  // The second byte bounds what the lead allows: no overlong 3/4-byte forms, no
  // surrogates (ED A0..BF), nothing past U+10FFFF (F4 90..).
  auto second = static_cast<unsigned char>(text[i + 1 < n ? i + 1 : i]);
  if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F) || (lead == 0xF0 && second < 0x90) ||
      (lead == 0xF4 && second > 0x8F))
    return 0;
  return len;
}

size_t find_invalid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t len = well_formed_length(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

char32_t next_code_point(std::string_view text, size_t& pos) {
  auto lead = static_cast<unsigned char>(text[pos]);
  int len = sequence_length(lead);
  if (len <= 1) {
    ++pos;
    return lead;
  }
  char32_t cp = lead & (0x7F >> len);
  for (int k = 1; k < len && pos + k < text.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + k]) & 0x3F);
  pos += len;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t count_code_points(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

size_t code_point_offset(std::string_view text, size_t n) {
  size_t pos = 0;
  for (size_t k = 0; k < n && pos < text.size(); ++k) next_code_point(text, pos);
  return pos;
}

std::string describe_code_point(char32_t cp) {
  const char* escaped = cp == '\n'                ? "\\n"
                        : cp == '\t'              ? "\\t"
                        : cp == '\r'              ? "\\r"
                        : cp < 0x20 || cp == 0x7F ? "?"  // other control characters
                                                  : nullptr;
  std::string printable;
  if (!escaped) append_utf8(printable, cp);
  return fmt::format("'{}' (U+{:04X})", escaped ? std::string_view(escaped) : std::string_view(printable),
                     static_cast<uint32_t>(cp));
}

namespace {

struct Decoded {
  char32_t code_point;
  size_t bytes;
};

// The code point starting at text[i]; a byte that does not start a well-formed sequence
// stands alone, escaped as Python's surrogateescape does.
Decoded decode_at(std::string_view text, size_t i) {
  if (well_formed_length(text, i) == 0)
    return {static_cast<char32_t>(0xDC00 + static_cast<unsigned char>(text[i])), 1};
  size_t next = i;
  const char32_t c = next_code_point(text, next);
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

}  // namespace qkv::data
