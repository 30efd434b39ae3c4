// UTF-8 text as Python 3 sees it, for metrics that must match Python tools (sacreBLEU):
// code points, and str.split()'s idea of whitespace.
// Bytes that are not valid UTF-8 become U+DC80..U+DCFF, one per byte (Python's
// "surrogateescape"), so any byte string decodes and distinct inputs stay distinct.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qkv {

// The code points of a UTF-8 string.
std::u32string decode_utf8(std::string_view text);

// Python's str.isspace(): ASCII \t\n\v\f\r, U+001C..U+001F, space, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_whitespace(char32_t c);

// str.split() with no argument: the runs of non-whitespace, in order (no empty words).
std::vector<std::string> split_whitespace(std::string_view text);

// str.rstrip() with no argument: text without its trailing whitespace.
std::string_view strip_trailing_whitespace(std::string_view text);

}  // namespace qkv
