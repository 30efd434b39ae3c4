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

}  // namespace qkv::data
