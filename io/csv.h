// CSV as the reports write and read it (RFC 4180): a field is quoted, its quotes doubled,
// only when it holds a comma, a quote or a line break; numbers in 6 significant digits.
#pragma once
#include <string>
#include <vector>

namespace qkv {

// A CSV field: quoted (quotes doubled) when it holds a comma, a quote or a newline.
std::string csv_field(const std::string& s);

// v with 6 significant digits; "" for NaN and infinities (no value).
std::string csv_number(double v);

// The fields of one line, quoted fields unquoted: the inverse of joining csv_field()s
// with commas (a line break inside a quoted field is not supported).
std::vector<std::string> csv_split(const std::string& line);

}  // namespace qkv
