// Translation corpora: verse alignment and its Strong's check on hand-written verses, the
// added-word and title handling of the OSIS stripping, loading sentence pairs from TSV and
// src.txt + tgt.txt files with every error, and the real kjv-es preparation (skipped with a
// warning where mod2imp is not installed).
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "base/error.h"
#include "data/osis.h"
#include "data/parallel_corpus.h"
#include "data/text_file.h"
#include "data/verse_alignment.h"
#include "data_test_support.h"

using namespace qkv::data;
using Catch::Contains;
using qkv::testing::have_mod2imp;
using qkv::testing::lines_of;
using qkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

Verse verse(const std::string& book, int chapter, int number, std::vector<std::string> strongs) {
  Verse v;
  v.book = book;
  v.chapter = chapter;
  v.verse = number;
  v.text = fmt::format("{} {}:{}", book, chapter, number);
  v.strongs = std::move(strongs);
  return v;
}

// Verdicts of the pairs, in order.
std::vector<PairVerdict> verdicts(const VerseAlignment& a) {
  std::vector<PairVerdict> v;
  for (const VersePair& p : a.pairs) v.push_back(p.verdict);
  return v;
}

VerseAlignment checked(const std::vector<Verse>& src, const std::vector<Verse>& tgt) {
  VerseAlignment a = pair_by_reference(src, tgt);
  check_strongs(a, src, tgt);
  return a;
}

constexpr PairVerdict kKept = PairVerdict::kept, kLow = PairVerdict::low_overlap,
                      kNeighbour = PairVerdict::neighbour_better, kChapter = PairVerdict::chapter_dropped,
                      kUnchecked = PairVerdict::unchecked;

}  // namespace

TEST_CASE("Strong's numbers are compared without leading zeros, as distinct numbers over the smaller verse",
          "[parallel]") {
  CHECK(normalize_strongs("H07225") == "H7225");
  CHECK(normalize_strongs("H7225") == "H7225");
  CHECK(normalize_strongs("g0025") == "G25");
  CHECK(normalize_strongs("H0") == "H0");
  CHECK(strongs_overlap({"H07225", "H0430"}, {"H430", "H7225", "H1254"}) == 1.0);     // all of the smaller verse
  CHECK(strongs_overlap({"H1", "H2", "H3", "H4"}, {"H1", "H1", "H1", "H9"}) == 0.5);  // {H1, H9}: H1 shared
  CHECK(strongs_overlap({"H1"}, {"H2"}) == 0.0);
  CHECK(strongs_overlap({}, {"H2"}) == -1);
}

TEST_CASE("verses pair by reference, good pairs are kept, one bad pair is dropped alone", "[parallel]") {
  std::vector<Verse> src = {verse("Genesis", 1, 1, {"H1", "H2"}), verse("Genesis", 1, 2, {"H3", "H4"}),
                            verse("Genesis", 1, 3, {"H5", "H6", "H7"}), verse("Genesis", 1, 4, {"H8", "H9"}),
                            verse("Genesis", 1, 5, {"H10"})};
  std::vector<Verse> tgt = {verse("Genesis", 1, 1, {"H01", "H2", "H2"}), verse("Genesis", 1, 2, {"H3", "H4", "H50"}),
                            verse("Genesis", 1, 3, {"H5", "H60", "H70"}),  // a third in common: too few
                            verse("Genesis", 1, 4, {"H8", "H9"}), verse("Genesis", 2, 1, {"H11"})};
  VerseAlignment a = checked(src, tgt);
  REQUIRE(a.pairs.size() == 4);
  CHECK(a.source_only == 1);  // Genesis 1:5
  CHECK(a.target_only == 1);  // Genesis 2:1
  CHECK(verdicts(a) == std::vector{kKept, kKept, kLow, kKept});
  CHECK(a.pairs[2].overlap == Approx(1.0 / 3));
  CHECK(a.kept() == 3);
  CHECK(a.dropped_chapters.empty());  // one failure does not drop its chapter
}

TEST_CASE("a pair whose neighbouring verse matches better is dropped", "[parallel]") {
  // Source 2 overlaps 2/3 with target 2, but its numbers are all in target 3.
  std::vector<Verse> src = {verse("Exodus", 1, 1, {"H1", "H2"}), verse("Exodus", 1, 2, {"H3", "H4", "H5"}),
                            verse("Exodus", 1, 3, {"H3", "H4", "H5", "H6"})};
  std::vector<Verse> tgt = {verse("Exodus", 1, 1, {"H1", "H2"}), verse("Exodus", 1, 2, {"H3", "H4", "H7"}),
                            verse("Exodus", 1, 3, {"H3", "H4", "H5", "H6"})};
  VerseAlignment a = checked(src, tgt);
  CHECK(verdicts(a) == std::vector{kKept, kNeighbour, kKept});
  CHECK(a.count(PairVerdict::neighbour_better) == 1);

  // Neighbours stay in their book: the last verse of Exodus is not Leviticus 1:1's.
  std::vector<Verse> s2 = {verse("Exodus", 40, 38, {"H1", "H2"}), verse("Leviticus", 1, 1, {"H1", "H2", "H3"})};
  std::vector<Verse> t2 = {verse("Exodus", 40, 38, {"H1", "H2"}), verse("Leviticus", 1, 1, {"H1", "H2", "H4"})};
  CHECK(verdicts(checked(s2, t2)) == std::vector{kKept, kKept});
}

TEST_CASE("a chapter shifted by a verse fails three times and is dropped whole", "[parallel]") {
  // Numbers 13: the target's verse k holds the source's verse k+1 (Hebrew numbering).
  std::vector<Verse> src, tgt;
  for (int v = 1; v <= 5; ++v) {
    src.push_back(verse("Numbers", 13, v, {fmt::format("H{}", 10 * v), fmt::format("H{}", 10 * v + 1)}));
    tgt.push_back(verse("Numbers", 13, v, {fmt::format("H{}", 10 * v + 10), fmt::format("H{}", 10 * v + 11)}));
  }
  tgt.back().strongs = {"H50", "H51"};  // the chapter's last verse happens to match
  src.push_back(verse("Numbers", 14, 1, {"H7", "H8"}));
  tgt.push_back(verse("Numbers", 14, 1, {"H7", "H8"}));
  VerseAlignment a = checked(src, tgt);
  CHECK(verdicts(a) == std::vector{kLow, kLow, kLow, kLow, kChapter, kKept});
  CHECK(a.dropped_chapters == std::vector<std::string>{"Numbers 13"});
  CHECK(a.kept() == 1);

  // Under a higher threshold the chapter stays.
  VerseAlignment lenient = pair_by_reference(src, tgt);
  check_strongs(lenient, src, tgt, StrongsCheck{0.5, 5});
  CHECK(lenient.dropped_chapters.empty());
  CHECK(lenient.count(PairVerdict::chapter_dropped) == 0);
}

TEST_CASE("a verse without Strong's numbers is kept unchecked, unless its chapter is dropped", "[parallel]") {
  std::vector<Verse> src = {verse("Mark", 9, 43, {"G1"}), verse("Mark", 9, 44, {}), verse("Mark", 9, 45, {"G3"})};
  std::vector<Verse> tgt = {verse("Mark", 9, 43, {"G1"}), verse("Mark", 9, 44, {"G2"}), verse("Mark", 9, 45, {"G3"})};
  VerseAlignment a = checked(src, tgt);
  CHECK(verdicts(a) == std::vector{kKept, kUnchecked, kKept});
  CHECK(a.pairs[1].overlap == -1);
  CHECK(a.kept() == 3);
}

TEST_CASE("copy_verdicts takes another alignment's verdicts by reference", "[parallel]") {
  std::vector<Verse> checker = {verse("Jonah", 1, 17, {"H1"}), verse("Jonah", 2, 1, {"H2"})};
  std::vector<Verse> tgt = {verse("Jonah", 1, 17, {"H1"}), verse("Jonah", 2, 1, {"H9"}), verse("Jonah", 2, 2, {"H3"})};
  std::vector<Verse> src = {verse("Jonah", 1, 17, {}), verse("Jonah", 2, 1, {}), verse("Jonah", 2, 2, {})};
  VerseAlignment reference_check = checked(checker, tgt);
  VerseAlignment a = pair_by_reference(src, tgt);
  copy_verdicts(a, src, reference_check, checker);
  // Jonah 2:2 is not in the checker: unchecked.
  CHECK(verdicts(a) == std::vector{kKept, kLow, kUnchecked});
}

TEST_CASE("an added word glued to its neighbour is separated, an enclitic pronoun is not", "[parallel]") {
  // RV1909 Genesis 2:12: the added word touches the word before it.
  StrippedVerse v = strip_osis(
      "<w lemma=\"strong:H8033\">hay allí</w><transChange type=\"added\">también</transChange> "
      "<w lemma=\"strong:H0916\">bdelio</w>");
  CHECK(v.text == "hay allí también bdelio");
  CHECK(v.words_separated == 1);
  // ... and the word after it (Genesis 4:25).
  v = strip_osis("<w>parió</w> <transChange type=\"added\">un hijo</transChange><w>á</w> quien");
  CHECK(v.text == "parió un hijo á quien");
  CHECK(v.words_separated == 1);
  // Judges 4:2: "se llamaba" is two words, not an enclitic; glued on both sides.
  v = strip_osis("<w>ejército</w><transChange type=\"added\">se llamaba</transChange><w>Sísara</w>,");
  CHECK(v.text == "ejército se llamaba Sísara,");
  CHECK(v.words_separated == 2);
  // Enclitic pronouns stay on their verb; after a word that is no verb they do not.
  v = strip_osis("<w>preguntándo</w><transChange type=\"added\">le</transChange> <w>él</w>");
  CHECK(v.text == "preguntándole él");
  CHECK(v.words_separated == 0);
  CHECK(strip_osis("<w>Josué</w><transChange type=\"added\">los</transChange>").text == "Josué los");
  // KJV puts spaces around its added words: nothing to separate.
  v = strip_osis("<w>These</w> <transChange type=\"added\">are</transChange> the <w>generations</w>");
  CHECK(v.text == "These are the generations");
  CHECK(v.words_separated == 0);
}

TEST_CASE("a canonical psalm title is kept apart from the verse text, with its Strong's numbers", "[parallel]") {
  StrippedVerse v = strip_osis(
      "<title canonical=\"true\" type=\"psalm\">A <w lemma=\"strong:H4210\">Psalm</w> of David.<note>n</note></title>"
      " <lg sID=\"a\"/><w lemma=\"strong:H3068\">LORD</w>, how are they increased");
  CHECK(v.text == "LORD, how are they increased");
  CHECK(v.title == "A Psalm of David.");
  CHECK(v.strongs == std::vector<std::string>{"H4210", "H3068"});
  // Other titles are dropped, as before.
  v = strip_osis("<title><foreign>ב BETH.</foreign></title> Wherewithal shall");
  CHECK(v.text == "Wherewithal shall");
  CHECK(v.title.empty());
}

TEST_CASE("a TSV file: one pair per line, the last 10% is validation", "[parallel]") {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 19; ++i) text += fmt::format("source {}\tziel {}\r\n", i, i);
  text += "último\tletzte";  // no final newline
  ParallelCorpus c = load_parallel_corpus(tmp.file("pairs.tsv", text), "unused");
  REQUIRE(c.train.size() == 18);  // int(20 * 0.9)
  REQUIRE(c.val.size() == 2);
  CHECK(c.train[0].src == "source 0");
  CHECK(c.train[0].tgt == "ziel 0");  // no "\r"
  CHECK(c.val[1].src == "último");
  CHECK(c.val[1].tgt == "letzte");
  CHECK(c.test.empty());
  CHECK(c.origin == tmp.path.string() + "/pairs.tsv (last 10% is validation)");
}

TEST_CASE("a folder with train.tsv and val.tsv (test.tsv optional), or src.txt and tgt.txt", "[parallel]") {
  TempDir tsv;
  tsv.file("train.tsv", "a\tb\nc\td\n");
  tsv.file("val.tsv", "e\tf\n");
  ParallelCorpus c = load_parallel_corpus(tsv.path.string(), "unused");
  CHECK(c.train.size() == 2);
  CHECK(c.val.size() == 1);
  CHECK(c.test.empty());
  tsv.file("test.tsv", "g\th\n");
  c = load_parallel_corpus(tsv.path.string(), "unused");
  REQUIRE(c.test.size() == 1);
  CHECK(c.test[0].tgt == "h");

  TempDir lines;
  std::string src, tgt;
  for (int i = 0; i < 10; ++i) {
    src += fmt::format("hello {}\n", i);
    tgt += fmt::format("hola {}\n", i);
  }
  lines.file("src.txt", src);
  lines.file("tgt.txt", tgt);
  c = load_parallel_corpus(lines.path.string(), "unused");
  REQUIRE(c.train.size() == 9);
  REQUIRE(c.val.size() == 1);
  CHECK(c.val[0].src == "hello 9");
  CHECK(c.val[0].tgt == "hola 9");
}

TEST_CASE("parallel corpus errors name the file and what was expected", "[parallel]") {
  TempDir tmp;
  std::string missing = (tmp.path / "nope.tsv").string();
  REQUIRE_THROWS_WITH(load_parallel_corpus(missing, "unused"), Contains("no such file: " + missing));
  std::string empty = tmp.file("empty.tsv", "");
  REQUIRE_THROWS_WITH(load_parallel_corpus(empty, "unused"), Contains(empty + " is empty"));
  std::string latin1 = tmp.file("latin1.tsv", "caf\xE9\tcoffee\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(latin1, "unused"), Contains(latin1 + " is not UTF-8 text"));
  std::string no_tab = tmp.file("no_tab.tsv", "a\tb\nc d\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(no_tab, "unused"),
                      Contains(no_tab + ":2: expected one tab between source and target, found 0"));
  std::string two_tabs = tmp.file("two_tabs.tsv", "a\tb\tc\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(two_tabs, "unused"), Contains(two_tabs + ":1: expected one tab"));
  std::string no_target = tmp.file("no_target.tsv", "a\tb\nc\t \n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(no_target, "unused"),
                      Contains(no_target + ":2: the target sentence is empty"));
  std::string no_source = tmp.file("no_source.tsv", "\tb\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(no_source, "unused"),
                      Contains(no_source + ":1: the source sentence is empty"));
  std::string one = tmp.file("one.tsv", "a\tb\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(one, "unused"), Contains("too short to split off a validation part"));

  TempDir dir;
  REQUIRE_THROWS_WITH(load_parallel_corpus(dir.path.string(), "unused"),
                      Contains("has no train.tsv (a parallel corpus folder holds train.tsv and val.tsv, or src.txt "
                               "and tgt.txt)"));
  dir.file("train.tsv", "a\tb\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(dir.path.string(), "unused"), Contains("has no val.tsv"));
  std::string val = dir.file("val.tsv", "");
  REQUIRE_THROWS_WITH(load_parallel_corpus(dir.path.string(), "unused"), Contains(val + " is empty"));

  TempDir lines;
  std::string src = lines.file("src.txt", "one\ntwo\nthree\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(lines.path.string(), "unused"), Contains("src.txt but no tgt.txt"));
  std::string tgt = lines.file("tgt.txt", "uno\ndos\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(lines.path.string(), "unused"),
                      Contains(src + " has 3 lines but " + tgt + " has 2"));
  lines.file("tgt.txt", "uno\n\ntres\n");
  REQUIRE_THROWS_WITH(load_parallel_corpus(lines.path.string(), "unused"),
                      Contains(tgt + ":2: the target sentence is empty"));
}

TEST_CASE("kjv-es is prepared from the Debian packages: pairs, dropped chapters, split by book, cached", "[parallel]") {
  if (!have_mod2imp()) {
    WARN("skipped: mod2imp not found (apt-get install libsword-utils sword-text-kjv sword-text-sparv)");
    return;
  }
  TempDir tmp;
  PreparedParallelDataset ds = prepare_parallel_dataset("kjv-es", tmp.path.string());
  CHECK_FALSE(ds.cached);
  CHECK(ds.total().pairs == 30794);
  CHECK(ds.filter.paired == 31084);
  CHECK(ds.filter.dropped() == 290);
  CHECK(ds.filter.low_overlap + ds.filter.neighbour_better == 215);
  for (const char* chapter : {"Numbers 13", "Numbers 30", "I Samuel 24", "I Kings 22", "I Chronicles 21",
                              "II Chronicles 33", "Job 39", "Job 40", "Hosea 12", "Jonah 2"})
    CHECK(std::count(ds.filter.dropped_chapters.begin(), ds.filter.dropped_chapters.end(), chapter) == 1);
  CHECK(ds.words_separated == 486);
  CHECK(ds.titles_added == 116);

  ParallelCorpus c = load_parallel_corpus("kjv-es", tmp.path.string());
  CHECK(c.origin == ds.dir + " (cached)");
  REQUIRE(c.train.size() == static_cast<size_t>(ds.splits[0].pairs));
  CHECK(c.val.size() == static_cast<size_t>(ds.splits[1].pairs));
  CHECK(c.test.size() == static_cast<size_t>(ds.splits[2].pairs));
  CHECK(c.train[0].src == "In the beginning God created the heaven and the earth.");
  CHECK(c.train[0].tgt == "EN el principio crió Dios los cielos y la tierra.");

  // The books of each split are the monolingual split's: no test verse in training.
  std::array<std::set<std::string>, 3> books;
  for (size_t s = 0; s < 3; ++s) {
    std::vector<std::string> refs =
        lines_of(read_text_file((fs::path(ds.dir) / (std::string(kSplitNames[s]) + ".ref")).string()));
    CHECK(refs.size() == static_cast<size_t>(ds.splits[s].pairs));
    for (const std::string& ref : refs) books[s].insert(ref.substr(0, ref.rfind(' ')));
  }
  CHECK(books[1] == std::set<std::string>{"Joshua", "Lamentations", "Jonah", "Mark", "Titus"});
  CHECK(books[2] == std::set<std::string>{"Judges", "Joel", "John"});
  for (const std::string& b : books[0]) CHECK(book_split(b) == Split::train);

  // The psalm title RV1909 prints inline is on the English side too.
  std::vector<std::string> refs = lines_of(read_text_file((fs::path(ds.dir) / "train.ref").string()));
  size_t psalm3 = std::find(refs.begin(), refs.end(), "Psalms 3:1") - refs.begin();
  REQUIRE(psalm3 < refs.size());
  CHECK(c.train[psalm3].src.rfind("A Psalm of David, when he fled from Absalom his son. LORD,", 0) == 0);
  CHECK(c.train[psalm3].tgt.rfind("Salmo de David, cuando huía de delante de Absalom su hijo.", 0) == 0);

  PreparedParallelDataset again = prepare_parallel_dataset("kjv-es", tmp.path.string());
  CHECK(again.cached);
  CHECK(again.total().pairs == ds.total().pairs);
  CHECK(again.filter.dropped_chapters == ds.filter.dropped_chapters);
  CHECK(again.titles_added == ds.titles_added);
}

TEST_CASE("an unknown parallel dataset name lists the known ones", "[parallel]") {
  TempDir tmp;
  CHECK(is_parallel_dataset("kjv-es"));
  CHECK(is_parallel_dataset("web-es"));
  CHECK(is_parallel_dataset("kjv-web"));
  CHECK_FALSE(is_parallel_dataset("kjv"));
  REQUIRE_THROWS_WITH(prepare_parallel_dataset("kjv-fr", tmp.path.string()),
                      Contains("unknown parallel dataset 'kjv-fr' (known: kjv-es, web-es, kjv-web)"));
  REQUIRE_THROWS_WITH(load_parallel_corpus("kjv-fr", tmp.path.string()),
                      Contains("no such file: kjv-fr (nor a parallel dataset name: kjv-es, web-es, kjv-web)"));
}
