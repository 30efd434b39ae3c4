// Corpora on disk: loading text files and their errors, the real `kjv` preparation from
// the Debian package (skipped with a warning where mod2imp is not installed), the cache,
// and the tokenizers on the prepared corpus.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"
#include "data/batcher.h"
#include "data/corpus.h"
#include "data/text_file.h"
#include "data/tokenizer.h"
#include "data/utf8.h"
#include "data_test_support.h"

using namespace qkv::data;
using Catch::Contains;
using qkv::testing::have_mod2imp;
using qkv::testing::lines_of;
using qkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// kjv, prepared once per test run into a temp folder; nullptr where mod2imp is missing.
struct PreparedKjv {
  TempDir dir;
  PreparedDataset ds;
  Corpus corpus;
};
const PreparedKjv* prepared_kjv() {
  static std::unique_ptr<PreparedKjv> kjv = []() -> std::unique_ptr<PreparedKjv> {
    if (!have_mod2imp()) return nullptr;
    auto p = std::make_unique<PreparedKjv>();
    p->ds = prepare_dataset("kjv", p->dir.path.string());
    p->corpus = load_corpus("kjv", p->dir.path.string());
    return p;
  }();
  return kjv.get();
}

#define REQUIRE_KJV(kjv)                                                                \
  const PreparedKjv* kjv = prepared_kjv();                                              \
  if (!kjv) {                                                                           \
    WARN("skipped: mod2imp not found (apt-get install libsword-utils sword-text-kjv)"); \
    return;                                                                             \
  }

}  // namespace

TEST_CASE("a single text file: the last 10% of its characters is validation", "[data]") {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 9; ++i) text += "abcdefghi\n";  // 90 characters
  text += "é€xyzuvw\n";                               // 9 characters, 10 bytes more than that
  Corpus c = load_corpus(tmp.file("book.txt", text), "unused");
  CHECK(c.train + c.val == text);
  CHECK(count_code_points(c.train) == 89);  // int(99 * 0.9)
  CHECK(c.val == "\né€xyzuvw\n");
  CHECK(c.test.empty());
}

TEST_CASE("a corpus folder holds train.txt and val.txt", "[data]") {
  TempDir tmp;
  tmp.file("train.txt", "the train text\n");
  tmp.file("val.txt", "the val text\n");
  Corpus c = load_corpus(tmp.path.string(), "unused");
  CHECK(c.train == "the train text\n");
  CHECK(c.val == "the val text\n");
  CHECK(c.test.empty());
  fs::remove(tmp.path / "val.txt");
  REQUIRE_THROWS_WITH(load_corpus(tmp.path.string(), "unused"), Contains("has no val.txt"));
}

TEST_CASE("corpus errors name the file: missing, empty, not UTF-8", "[data]") {
  TempDir tmp;
  std::string missing = (tmp.path / "nope.txt").string();
  REQUIRE_THROWS_WITH(load_corpus(missing, "unused"), Contains("no such file: " + missing));
  REQUIRE_THROWS_WITH(read_text_file(missing), Contains("no such file: " + missing));

  std::string empty = tmp.file("empty.txt", "");
  REQUIRE_THROWS_WITH(load_corpus(empty, "unused"), Contains("corpus: " + empty + " is empty"));
  std::string blank = tmp.file("blank.txt", " \n\n\t\n");
  REQUIRE_THROWS_WITH(load_corpus(blank, "unused"), Contains(blank + " is empty"));

  std::string latin1 = tmp.file("latin1.txt", "caf\xC3\xA9 ok, then caf\xE9 in Latin-1\n");
  REQUIRE_THROWS_WITH(load_corpus(latin1, "unused"), Contains(latin1 + " is not UTF-8 text: byte 0xE9 at offset 18"));

  tmp.file("train.txt", "words\n");
  tmp.file("val.txt", "\n");
  REQUIRE_THROWS_WITH(load_corpus(tmp.path.string(), "unused"), Contains("val.txt is empty"));
}

TEST_CASE("whole files are read only from regular files, within a size limit", "[data]") {
  TempDir tmp;
  const std::string dir = tmp.path.string();
  // A directory, a device that never ends and a FIFO that would block: refused by name.
  REQUIRE_THROWS_WITH(read_text_file(dir), "corpus: " + dir + " is a directory; expected a regular file");
  REQUIRE_THROWS_WITH(read_file("/dev/zero", "config"), "config: /dev/zero is a character device; expected a regular file");
  const std::string fifo = (tmp.path / "fifo").string();
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(read_file(fifo, "config"), "config: " + fifo + " is a FIFO; expected a regular file");
  const std::string big = tmp.file("big.txt", std::string(2048, 'x'));
  REQUIRE_THROWS_WITH(read_file(big, "config", 1024), "config: " + big + " is 2 KiB; expected a file of at most 1 KiB");
  CHECK(read_file(big, "config", 2048)->size() == 2048);
  CHECK_FALSE(read_file((tmp.path / "none").string(), "config").has_value());
}

TEST_CASE("a missing mod2imp or module names the package to install", "[data]") {
  TempDir tmp;
  REQUIRE_THROWS_WITH(prepare_dataset("kjv", tmp.path.string(), false, "qkv-no-such-mod2imp"),
                      Contains("apt-get install libsword-utils sword-text-kjv"));
  if (!have_mod2imp()) return;
  BibleModule absent{"xyz", "qkvNoSuchModule", "sword-text-xyz", "none"};
  REQUIRE_THROWS_WITH(read_sword_module(absent), Contains("qkvNoSuchModule is not installed; install it: "
                                                          "apt-get install sword-text-xyz"));
  REQUIRE_THROWS_WITH(prepare_dataset("klingon", tmp.path.string()),
                      Contains("unknown dataset 'klingon' (known: kjv, web, sparv)"));
}

TEST_CASE("kjv is prepared from the Debian package: verses, split by book, Genesis 1:1 first", "[data]") {
  REQUIRE_KJV(kjv);
  const PreparedDataset& ds = kjv->ds;
  CHECK_FALSE(ds.cached);
  CHECK(ds.total().verses == 31102);
  CHECK(ds.total().books == 66);
  CHECK(ds.total().chars == 4138535);
  CHECK(ds.distinct_chars == 68);
  // About 5% each for validation and test.
  CHECK(ds.splits[1].verses == 1584);
  CHECK(ds.splits[2].verses == 1570);

  std::vector<std::string> train = lines_of(kjv->corpus.train);
  REQUIRE(train.size() == static_cast<size_t>(ds.splits[0].verses));
  CHECK(train[0] == "In the beginning God created the heaven and the earth.");
  CHECK(train.back() == "The grace of our Lord Jesus Christ be with you all. Amen.");

  // No book is in two splits, and each split's references say which books it has.
  std::array<std::set<std::string>, 3> books;
  for (size_t s = 0; s < 3; ++s) {
    std::string refs = read_text_file((fs::path(ds.dir) / (std::string(kSplitNames[s]) + ".ref")).string());
    std::vector<std::string> ref_lines = lines_of(refs);
    CHECK(ref_lines.size() == static_cast<size_t>(ds.splits[s].verses));
    for (const std::string& ref : ref_lines) books[s].insert(ref.substr(0, ref.rfind(' ')));
    CHECK(books[s].size() == static_cast<size_t>(ds.splits[s].books));
  }
  for (const std::string& b : books[1]) CHECK((books[0].count(b) == 0 && books[2].count(b) == 0));
  for (const std::string& b : books[2]) CHECK(books[0].count(b) == 0);
  CHECK(books[1] == std::set<std::string>{"Joshua", "Lamentations", "Jonah", "Mark", "Titus"});
  CHECK(books[2] == std::set<std::string>{"Judges", "Joel", "John"});

  // No markup or USFM left anywhere.
  std::string all = kjv->corpus.train + kjv->corpus.val + kjv->corpus.test;
  for (const char* leftover : {"<", ">", "\\", "¶", "&", "  "}) CHECK(all.find(leftover) == std::string::npos);
}

TEST_CASE("a complete preparation is reused, a damaged one is prepared again", "[data]") {
  REQUIRE_KJV(kjv);
  PreparedDataset again = prepare_dataset("kjv", kjv->dir.path.string());
  CHECK(again.cached);
  CHECK(again.total().verses == kjv->ds.total().verses);
  CHECK(again.distinct_chars == kjv->ds.distinct_chars);

  TempDir other;
  fs::create_directories(other.path / "kjv");
  std::ofstream(other.path / "kjv" / "train.txt") << "half written";  // no manifest: incomplete
  PreparedDataset fresh = prepare_dataset("kjv", other.path.string());
  CHECK_FALSE(fresh.cached);
  CHECK(fs::file_size(other.path / "kjv" / "train.txt") == static_cast<uintmax_t>(fresh.splits[0].bytes));
}

TEST_CASE("char tokenizer: code points of the corpus, round trip on the whole corpus", "[data]") {
  REQUIRE_KJV(kjv);
  auto tok = build_tokenizer(TokenizerKind::char_, kjv->corpus);
  CHECK(tok->kind() == "char");
  CHECK(tok->vocab_size() == 68);
  TokenizedCorpus ids = tokenize(kjv->corpus, *tok);
  CHECK(ids.train.size() == count_code_points(kjv->corpus.train));
  CHECK(tok->decode(ids.train) == kjv->corpus.train);
  CHECK(tok->decode(ids.val) == kjv->corpus.val);
  CHECK(tok->encode("\n") == std::vector<int32_t>{0});  // the smallest code point gets id 0
  CHECK(tok->decode(tok->encode("Æ—’")) == "Æ—’");      // beyond ASCII: one id per character
  CHECK(tok->encode("Æ—’").size() == 3);
  REQUIRE_THROWS_WITH(tok->encode("naïve"), Contains("'ï' (U+00EF) at character 2 is not in the vocabulary"));

  auto reloaded = load_tokenizer(tok->serialize());
  CHECK(reloaded->vocab_size() == 68);
  CHECK(reloaded->encode(kjv->corpus.val) == ids.val);
}

TEST_CASE("SentencePiece bpe and unigram trained on kjv verses: round trip and reload", "[data]") {
  REQUIRE_KJV(kjv);
  // The first 2000 verses keep training fast.
  std::string text;
  std::istringstream in(kjv->corpus.train);
  std::string line;
  for (int i = 0; i < 2000 && std::getline(in, line); ++i) text += line + '\n';
  std::string unseen = kjv->corpus.val.substr(0, 2000) + "Unseen: naïve café “quotes” ✓\n";

  for (const char* kind : {"bpe", "unigram"}) {
    SECTION(kind) {
      auto tok = train_sentencepiece(text, kind, 1000);
      CHECK(tok->kind() == kind);
      CHECK(tok->vocab_size() == 1000);
      std::vector<int32_t> ids = tok->encode(text);
      CHECK(ids.size() < text.size() / 3);  // subwords, not characters
      CHECK(tok->decode(ids) == text);
      CHECK(tok->decode(tok->encode(unseen)) == unseen);  // byte fallback for unseen characters
      CHECK(tok->decode(tok->encode("  two  spaces\n\nand lines ")) == "  two  spaces\n\nand lines ");
      // Decoding token by token (as a sampler streams its output) loses no spaces.
      std::string streamed;
      for (size_t i = 0; i < 300; ++i) streamed += tok->decode(std::span(ids).subspan(i, 1));
      CHECK(streamed == tok->decode(std::span(ids).first(300)));

      std::string blob = tok->serialize();
      CHECK(blob.rfind(std::string("qkv-tokenizer 1 ") + kind + "\n", 0) == 0);
      auto reloaded = load_tokenizer(blob);
      CHECK(reloaded->kind() == kind);
      CHECK(reloaded->vocab_size() == tok->vocab_size());
      CHECK(reloaded->encode(unseen) == tok->encode(unseen));
      CHECK(reloaded->encode(text) == ids);

      // Deterministic: training again gives the same model.
      CHECK(train_sentencepiece(text, kind, 1000)->serialize() == blob);
    }
  }
}

TEST_CASE("batches of kjv come from the split they were made from", "[data]") {
  REQUIRE_KJV(kjv);
  auto tok = build_tokenizer(TokenizerKind::char_, kjv->corpus);
  TokenizedCorpus ids = tokenize(kjv->corpus, *tok);
  LMBatcher val(ids.val, 4, 64, "val");
  qkv::Generator gen(7);
  LMBatch b = val.next(gen);
  // Every row decodes to a passage of the validation text.
  std::vector<int64_t> x = b.x.to_vector<int64_t>();
  for (int row = 0; row < 4; ++row) {
    std::vector<int32_t> window(x.begin() + row * 64, x.begin() + (row + 1) * 64);
    CHECK(kjv->corpus.val.find(tok->decode(window)) != std::string::npos);
  }
}
