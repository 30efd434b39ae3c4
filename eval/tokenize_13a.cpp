#include "eval/tokenize_13a.h"

#include <vector>

#include "data/utf8.h"

namespace qkv {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  std::string out;
  size_t start = 0;
  for (size_t hit; (hit = text.find(from, start)) != std::string::npos; start = hit + from.size()) {
    out.append(text, start, hit - start);
    out.append(to);
  }
  out.append(text, start);
  text = std::move(out);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_period_or_comma(char c) { return c == '.' || c == ','; }

// The characters of the regex class [\{-\~\[-\` -\&\(-\+\:-\@\/]: ASCII punctuation
// and symbols except ' - . , (and the space, which needs no separating).
bool is_split_symbol(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= '!' && c <= '&') || (c >= '(' && c <= '+') ||
         (c >= ':' && c <= '@') || c == '/';
}

// One re.sub of the two-character pattern (first)(second) with `replacement`, where
// replacement's '1' and '2' stand for the matched characters: left to right, matches
// do not overlap. Working on bytes gives Python's result on code points, as the
// patterns only name ASCII and a non-ASCII code point's bytes are all non-digits.
template <typename First, typename Second>
std::string substitute_pairs(const std::string& text, First first, Second second, std::string_view replacement) {
  std::string out;
  out.reserve(text.size() * 2);
  for (size_t i = 0; i < text.size(); ++i) {
    if (i + 1 < text.size() && first(text[i]) && second(text[i + 1])) {
      for (char r : replacement) out.push_back(r == '1' ? text[i] : r == '2' ? text[i + 1] : r);
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string tokenize_13a(std::string_view line) {
  std::string text(line);
  replace_all(text, "<skipped>", "");
  replace_all(text, "-\n", "");
  replace_all(text, "\n", " ");
  replace_all(text, "&quot;", "\"");
  replace_all(text, "&amp;", "&");
  replace_all(text, "&lt;", "<");
  replace_all(text, "&gt;", ">");

  std::string spaced = " ";
  for (char c : text) {
    if (is_split_symbol(c)) {
      spaced += ' ';
      spaced += c;
      spaced += ' ';
    } else {
      spaced += c;
    }
  }
  spaced += ' ';
  const auto not_digit = [](char c) { return !is_digit(c); };
  spaced = substitute_pairs(spaced, not_digit, is_period_or_comma, "1 2 ");
  spaced = substitute_pairs(spaced, is_period_or_comma, not_digit, " 1 2");
  spaced = substitute_pairs(
      spaced, is_digit, [](char c) { return c == '-'; }, "1 2 ");

  std::string out;
  for (const std::string& word : data::split_whitespace(spaced)) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace qkv
