// sacreBLEU's default BLEU tokenizer, "13a" (mteval-v13a.pl's rules as sacreBLEU 2.x
// implements them in tokenizers/tokenizer_13a.py and tokenizer_re.py), on UTF-8 text:
//   1. "<skipped>" and "-\n" are removed, "\n" becomes a space; then &quot; &amp; &lt;
//      &gt; become " & < > (one pass each, in that order: "&amp;quot;" gives "&quot;").
//   2. Each of  ! " # $ % & ( ) * + / : ; < = > ? @ [ \ ] ^ _ ` { | } ~  gets a space
//      on both sides (not ' or -).
//   3. A period or comma is split off unless it sits between two digits: it gets a space
//      before it when the character before is not a digit, and a space after it when
//      the character after is not a digit: "1,000.5" stays, "end." gives "end .",
//      "x.5" gives "x . 5", "3.x" gives "3 . x", ".5" gives ". 5".
//   4. A '-' right after a digit is split off ("5-6" gives "5 - 6"; "a-b" stays).
//   5. Whitespace runs (Python's str.split(): Unicode spaces too) become one space, none
//      at either end.
// Everything else, non-ASCII letters included, passes through unchanged; case is kept.
#pragma once
#include <string>
#include <string_view>

namespace qkv {

std::string tokenize_13a(std::string_view line);

}  // namespace qkv
