// UTF-8 helpers for corpora and the character tokenizer: validation that reports the
// byte offset of the first bad byte, and code point decoding and encoding.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace qkv::data {

// Byte offset of the first byte that does not belong to a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF count as malformed);
// std::string_view::npos when the whole text is valid.
size_t find_invalid_utf8(std::string_view text);
// Bytes in the well-formed sequence starting at text[i] (1 to 4); 0 when it is malformed.
size_t well_formed_length(std::string_view text, size_t i);

// The code point starting at text[pos]; advances pos past it. Expects valid UTF-8.
char32_t next_code_point(std::string_view text, size_t& pos);

void append_utf8(std::string& out, char32_t cp);
size_t count_code_points(std::string_view text);

// Byte offset of the code point boundary after `n` code points (text.size() when shorter).
size_t code_point_offset(std::string_view text, size_t n);

// "'é' (U+00E9)", or "'\n' (U+000A)" for control characters: used in error messages.
std::string describe_code_point(char32_t cp);

}  // namespace qkv::data
