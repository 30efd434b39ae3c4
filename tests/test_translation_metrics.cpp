// Corpus BLEU, chrF and the 13a tokenizer against sacreBLEU 2.x: numbers from its own
// test suite and README (github.com/mjpost/sacrebleu, test/test_bleu.py,
// test/test_sentence_bleu.py, test/test_chrf.py), each case naming its source, plus
// small cases computed by hand. Tokenizer expectations follow tokenizer_13a.py and
// tokenizer_re.py's regexes by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "base/error.h"
#include "eval/tokenize_13a.h"
#include "eval/translation_metrics.h"
#include "data/utf8.h"

using namespace qkv;
using Catch::Contains;

namespace {

using Corpus = std::vector<std::string>;

// The README example of sacreBLEU 2.x, also test_bleu.py's _hyps/_refs.
const Corpus readme_hyps = {"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."};
const std::vector<Corpus> readme_refs = {
    {"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
    {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
};

double bleu(const std::string& hyp, const std::string& ref) { return corpus_bleu(Corpus{hyp}, Corpus{ref}).score; }

double chrf(const Corpus& hyps, const Corpus& refs, double beta, bool eps_smoothing, bool whitespace = false) {
  ChrfOptions opt;
  opt.beta = beta;
  opt.eps_smoothing = eps_smoothing;
  opt.whitespace = whitespace;
  return corpus_chrf(hyps, refs, opt).score;
}

}  // namespace

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
  CHECK(data::decode_utf8("añ€😀") == std::u32string{U'a', U'ñ', U'€', U'😀'});
  CHECK(data::decode_utf8("a\xFF"
                    "b\xE2\x82") == std::u32string{U'a', 0xDCFF, U'b', 0xDCE2, 0xDC82});
  CHECK(data::decode_utf8("\xC0\xAF") == std::u32string{0xDCC0, 0xDCAF});  // overlong '/'
  CHECK(data::split_whitespace("\x1F"
                         "a\xE2\x80\x83"
                         "b ") == std::vector<std::string>{"a", "b"});  // U+001F, em space
  CHECK(data::strip_trailing_whitespace("a b \n\t") == "a b");
}

TEST_CASE("corpus BLEU reproduces sacreBLEU's published numbers", "[metrics]") {
  // test_bleu.py test_corpus_bleu_cases, default settings: 48.530827 (EPSILON 1e-8 on
  // this scale). README: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944
  // hyp_len = 17 ref_len = 18)", signature "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|...".
  BleuScore readme = corpus_bleu(readme_hyps, readme_refs);
  CHECK(std::abs(readme.score - 48.530827) < 1e-6);
  CHECK_THAT(readme.format(),
             Contains(" = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)"));
  CHECK(readme.signature() == "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv");
  // Same list: empty hypotheses are scored, not dropped: 0.0.
  CHECK(corpus_bleu(Corpus{"", "", ""}, readme_refs).score == 0.0);

  // test_sentence_bleu.py (issue #98), smooth exp, tok 13a: 8.493 (EPSILON 1e-3). That
  // test sets effective_order, which changes nothing here: the 14-token hypothesis has
  // n-grams of every order. By hand: matches 5/14, 2/13, 0/12, 0/11 (ţ and ț differ);
  // exp smoothing gives 1/(2*12) and 1/(4*11); BP 1 (14 > 10 tokens);
  // 100 * (5/14 * 2/13 * 1/24 * 1/44)^(1/4) = 8.49310.
  CHECK(std::abs(bleu("Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;",
                      "producţia de zahăr brut se exprimă în zahăr alb;") -
                 8.493) < 1e-3);
  // test_sentence_bleu.py test_cases_zero_bleu (issue #141): no match at all gives 0.0.
  CHECK(bleu("this is a cat", "okay thanks") == 0.0);

  // test_bleu.py test_case_statistics: counts [4,2,1,0], totals [6,5,4,3] (that test
  // uses tokenize none; the text has no punctuation, so 13a gives the same tokens).
  BleuScore stats = corpus_bleu(Corpus{"am I am a character sequence"}, Corpus{"I am a symbol string sequence a a"});
  CHECK(stats.matches == std::array<int64_t, 4>{4, 2, 1, 0});
  CHECK(stats.totals == std::array<int64_t, 4>{6, 5, 4, 3});
  // By hand, with exp smoothing and the brevity penalty (6 tokens against 8):
  // 100 * exp(1 - 8/6) * (4/6 * 2/5 * 1/4 * 1/(2*3))^(1/4) = 71.653 * 0.32467 = 23.26347.
  CHECK(stats.sys_len == 6);
  CHECK(stats.ref_len == 8);
  CHECK(stats.precisions[3] == Approx(100.0 / 6));
  CHECK(stats.bp == Approx(std::exp(-1.0 / 3)));
  CHECK(stats.score == Approx(23.26347269766329).epsilon(1e-12));

  // test_bleu.py test_case_scoring: compute_bleu([9,7,5,3], [10,8,6,4], 11, 11) = 0.8375922397.
  CHECK(std::abs(bleu_from_counts({9, 7, 5, 3}, {10, 8, 6, 4}, 11, 11).score - 83.75922397) < 1e-6);
  // test_bleu.py test_case_degenerate_stats: no match at any order gives 0.0.
  CHECK(bleu_from_counts({0, 0, 0, 0}, {4, 4, 2, 1}, 0, 1).score == 0.0);
  CHECK(bleu_from_counts({0, 0, 0, 0}, {10, 11, 12, 0}, 14, 10).score == 0.0);
  CHECK(bleu_from_counts({0, 0, 0, 0}, {0, 0, 0, 0}, 0, 0).score == 0.0);
}

TEST_CASE("corpus BLEU on hand-computed cases", "[metrics]") {
  CHECK(bleu("The cat sat on the mat.", "The cat sat on the mat.") == Approx(100.0));
  CHECK(bleu("a b c d e", "f g h i j") == 0.0);
  // Brevity penalty: every n-gram of the 6-token hypothesis matches the 7-token
  // reference, so BLEU = 100 * exp(1 - 7/6) = 84.648172489.
  BleuScore short_hyp = corpus_bleu(Corpus{"the cat sat on the mat"}, Corpus{"the cat sat on the mat today"});
  CHECK(short_hyp.precisions == std::array<double, 4>{100, 100, 100, 100});
  CHECK(short_hyp.score == Approx(84.64817248906141).epsilon(1e-12));
  // Clipping: "the" matches at most once; 4 tokens against 2, so BP 1:
  // unigrams 1/4, bigrams 0/3 -> 1/(2*3), trigrams 0/2 -> 1/(4*2), 4-grams 0/1 -> 1/(8*1);
  // 100 * (1/4 * 1/6 * 1/8 * 1/8)^(1/4) = 100 * (1/1536)^(1/4) = 15.97.
  BleuScore clipped = corpus_bleu(Corpus{"the the the the"}, Corpus{"the cat"});
  CHECK(clipped.matches == std::array<int64_t, 4>{1, 0, 0, 0});
  CHECK(clipped.score == Approx(100 * std::pow(1.0 / 1536, 0.25)));
  // No effective order for corpus BLEU: a corpus without 4-grams scores 0, as sacreBLEU.
  CHECK(bleu("the cat sat", "the cat sat") == 0.0);
  // Statistics are summed over the corpus before the geometric mean: two lines of 4
  // tokens, the second with no match, give 100 * (4/8 * 3/6 * 2/4 * 1/2)^(1/4) = 50.
  CHECK(corpus_bleu(Corpus{"a b c d", "e f g h"}, Corpus{"a b c d", "w x y z"}).score == Approx(50.0));
  // Tokenization is applied to both sides: "mat." and "mat ." are the same.
  CHECK(bleu("The cat sat on the mat.", "The cat sat on the mat .") == Approx(100.0));
}

TEST_CASE("corpus BLEU and chrF refuse mismatched or empty input", "[metrics]") {
  REQUIRE_THROWS_AS(corpus_bleu(Corpus{"a"}, Corpus{"a", "b"}), Error);
  REQUIRE_THROWS_WITH(corpus_bleu(Corpus{"a"}, Corpus{"a", "b"}), Contains("1 hypotheses for 2 references"));
  REQUIRE_THROWS_WITH(corpus_chrf(Corpus{"a", "b"}, Corpus{"a"}), Contains("2 hypotheses for 1 references"));
  REQUIRE_THROWS_WITH(corpus_bleu(Corpus{}, Corpus{}), Contains("empty corpus"));
  REQUIRE_THROWS_WITH(corpus_chrf(Corpus{"a"}, Corpus{""}), Contains("reference 0 is empty"));
}

TEST_CASE("corpus chrF reproduces sacreBLEU's published numbers", "[metrics]") {
  // test_chrf.py test_chrf_sentence_level: chrF2 (the defaults) with eps_smoothing, EPSILON 1e-4.
  CHECK(std::abs(chrf({"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře."},
                      {"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."}, 2, true) -
                 39.14078509) < 1e-4);
  CHECK(std::abs(chrf({"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři."},
                      {"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři."}, 2, true) -
                 31.22557079) < 1e-4);
  CHECK(std::abs(chrf({"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly."},
                      {"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli."}, 2,
                      true) -
                 57.15704367) < 1e-4);

  // test_chrf.py test_cases: beta 3, eps_smoothing.
  struct Case {
    Corpus hyps, refs;
    double expected;
  };
  const std::vector<Case> eps_cases = {
      {{"abcdefg"}, {"hijklmnop"}, 0.0},
      {{"a"}, {"b"}, 0.0},
      {{""}, {"b"}, 0.0},
      {{""}, {"ref"}, 0.0},
      {{""}, {"reference"}, 0.0},
      {{"aa"}, {"ab"}, 8.3333},
      {{"a", "b"}, {"a", "c"}, 8.3333},
      {{"a"}, {"a"}, 16.6667},
      {{"a b c"}, {"a b c"}, 50.0},
      {{"a b c"}, {"abc"}, 50.0},
      {{" risk assessment must be made of those who are qualified and expertise in the sector - these are the "
        "scientists ."},
       {"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the "
        "scientists ."},
       63.361730},
      {{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
       {"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."},
       64.1302698},
      {{"Niemand hat die Absicht, eine Mauer zu errichten"},
       {"Niemand hat die Absicht, eine Mauer zu errichten"},
       100.0},
  };
  for (const Case& c : eps_cases) {
    INFO(c.hyps[0] << " | " << c.refs[0]);
    CHECK(std::abs(chrf(c.hyps, c.refs, 3, true) - c.expected) < 1e-4);
  }
  // test_chrf.py test_cases_effective_order: beta 3, sacreBLEU 2.x's default averaging.
  const std::vector<Case> effective_order_cases = {
      {{"a"}, {"a"}, 100.0}, {{""}, {"reference"}, 0.0},     {{"a b c"}, {"a b c"}, 100.0}, {{"a b c"}, {"abc"}, 100.0},
      {{""}, {"c"}, 0.0},    {{"a", "b"}, {"a", "c"}, 50.0}, {{"aa"}, {"ab"}, 25.0},
  };
  for (const Case& c : effective_order_cases) {
    INFO(c.hyps[0] << " | " << c.refs[0]);
    CHECK(std::abs(chrf(c.hyps, c.refs, 3, false) - c.expected) < 1e-4);
  }
  // test_chrf.py test_cases_keep_whitespace: beta 3, remove_whitespace=False.
  CHECK(std::abs(chrf({"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
                      {"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 3, false,
                      true) -
                 67.3481606) < 1e-4);
  CHECK(std::abs(chrf({"risk assessment must be made of those who are qualified and expertise in the sector - these "
                       "are the scientists ."},
                      {"risk assessment has to be undertaken by those who are qualified and expert in that area - "
                       "that is the scientists ."},
                      3, false, true) -
                 65.2414427) < 1e-4);

  // README, defaults with two references: "chrF2 = 59.73".
  ChrfScore readme = corpus_chrf(readme_hyps, readme_refs);
  CHECK_THAT(readme.format(), Contains(" = 59.73"));
  CHECK(readme.format().rfind("chrF2|nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:qkv", 0) == 0);
}

TEST_CASE("corpus chrF on hand-computed cases (defaults: chrF2, effective-order averaging)", "[metrics]") {
  CHECK(corpus_chrf(Corpus{"Mañana será otro día."}, Corpus{"Mañana será otro día."}).score == Approx(100.0));
  CHECK(corpus_chrf(Corpus{"abc"}, Corpus{"xyz"}).score == 0.0);
  // "ab" against "abc": order 1 P = 2/2, R = 2/3; order 2 P = 1/1, R = 1/2; order 3 has
  // no hypothesis n-gram, so it is left out. Mean P = 1, R = 7/12;
  // F2 = 5 P R / (4 P + R) = (35/12) / (55/12) = 7/11.
  CHECK(corpus_chrf(Corpus{"ab"}, Corpus{"abc"}).score == Approx(700.0 / 11));
  // Counts are summed over the corpus, then averaged over orders: ["abc", "xy"] against
  // ["ab", "xyz"]: order 1 matches 2 + 2 of 5 and 5 (P = R = 4/5), order 2 matches 1 + 1
  // of 3 and 3 (2/3); order 3: "ab" has no trigram, so "abc"'s trigram is not counted
  // and the order has no hypothesis n-grams. Mean 11/15 for both -> 73.33 (counting
  // "abc"'s trigram would add P = R = 0 at order 3 and give 48.89).
  CHECK(corpus_chrf(Corpus{"abc", "xy"}, Corpus{"ab", "xyz"}).score == Approx(1100.0 / 15));
  // Characters are code points, not bytes: "éa" against "èa" matches 1 of 2 unigrams
  // and no bigram: mean 1/4 -> 25 (UTF-8 bytes would share C3 and give 2/9 -> 22.2).
  CHECK(corpus_chrf(Corpus{"éa"}, Corpus{"èa"}).score == Approx(25.0));
  CHECK(corpus_chrf(Corpus{"ab"}, Corpus{"abc"}).signature() ==
        "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:qkv");
}
