// UTF-8 helpers, the one home for them: validation that reports the byte offset of the
// first bad byte and code point decoding and encoding (corpora, the character tokenizer),
// and text as Python 3 sees it for metrics that must match Python tools (sacreBLEU):
// code points, and str.split()'s idea of whitespace. There, bytes that are not valid
// UTF-8 become U+DC80..U+DCFF, one per byte (Python's "surrogateescape"), so any byte
// string decodes and distinct inputs stay distinct.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

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

// Python-compatible views of text (metrics):

// The code points of a UTF-8 string.
std::u32string decode_utf8(std::string_view text);

// Python's str.isspace(): ASCII \t\n\v\f\r, U+001C..U+001F, space, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_whitespace(char32_t c);

// str.split() with no argument: the runs of non-whitespace, in order (no empty words).
std::vector<std::string> split_whitespace(std::string_view text);

// str.rstrip() with no argument: text without its trailing whitespace.
std::string_view strip_trailing_whitespace(std::string_view text);

}  // namespace qkv::data
