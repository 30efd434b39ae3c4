// Corpus BLEU, chrF and the 13a tokenizer against sacreBLEU 2.x: numbers from its own
// test suite and README (github.com/mjpost/sacrebleu, test/test_bleu.py,
// test/test_sentence_bleu.py, test/test_chrf.py), each case naming its source, plus
// small cases computed by hand. Tokenizer expectations follow tokenizer_13a.py and
// tokenizer_re.py's regexes by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "autograd/error.h"
#include "train/tokenize_13a.h"
#include "train/utf8_text.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("13a splits punctuation, keeps numbers, unescapes entities, passes Unicode through", "[metrics]") {
  CHECK(tokenize_13a("Hello, world!") == "Hello , world !");
  CHECK(tokenize_13a("(a) [b] {c} x/y a+b=c 50% #1 @me") == "( a ) [ b ] { c } x / y a + b = c 50 % # 1 @ me");
  // ' and - are not split symbols; a - after a digit is.
  CHECK(tokenize_13a("O'Neill's e-mail") == "O'Neill's e-mail");
  CHECK(tokenize_13a("pages 5-6, not a-b") == "pages 5 - 6 , not a-b");
  // Periods and commas between digits stay; elsewhere they are split off.
  CHECK(tokenize_13a("It costs $1,000.50 today.") == "It costs $ 1,000.50 today .");
  CHECK(tokenize_13a("version 1.5.") == "version 1.5 .");
  CHECK(tokenize_13a("x.5 3.x .5") == "x . 5 3 . x . 5");
  CHECK(tokenize_13a("wait...") == "wait . . .");
  // Entities become their characters, which are then split like typed ones.
  CHECK(tokenize_13a("&quot;Quoted&quot; &amp; &lt;tag&gt;") == "\" Quoted \" & < tag >");
  CHECK(tokenize_13a("&amp;quot;") == "& quot ;");  // one pass each: &amp; is unescaped after &quot;
  // <skipped> goes, a hyphen at a line break joins the word, other newlines are spaces.
  CHECK(tokenize_13a("hyphen-\nated line\nbreak <skipped>end") == "hyphenated line break end");
  // Non-ASCII text is untouched (no accent or case change); ¿ and ¡ are not ASCII.
  CHECK(tokenize_13a("¿Qué tal? ¡Mañana, señor Núñez!") == "¿Qué tal ? ¡Mañana , señor Núñez !");
  CHECK(tokenize_13a("Producția de zahăr alb;") == "Producția de zahăr alb ;");
  // Whitespace as Python's str.split() sees it: tabs, no-break space U+00A0, ideographic U+3000.
  CHECK(tokenize_13a(" a \t b\xC2\xA0"
                     "c\xE3\x80\x80"
                     "d  ") == "a b c d");
  CHECK(tokenize_13a("") == "");
}

TEST_CASE("UTF-8 decoding escapes invalid bytes as Python's surrogateescape", "[metrics]") {
  CHECK(decode_utf8("añ€😀") == std::u32string{U'a', U'ñ', U'€', U'😀'});
  CHECK(decode_utf8("a\xFF"
                    "b\xE2\x82") == std::u32string{U'a', 0xDCFF, U'b', 0xDCE2, 0xDC82});
  CHECK(decode_utf8("\xC0\xAF") == std::u32string{0xDCC0, 0xDCAF});  // overlong '/'
  CHECK(split_whitespace("\x1F"
                         "a\xE2\x80\x83"
                         "b ") == std::vector<std::string>{"a", "b"});  // U+001F, em space
  CHECK(strip_trailing_whitespace("a b \n\t") == "a b");
}
