// Tokenizers on literal text: the character vocabulary, SentencePiece training and
// round trips, serialization, and their errors.
#include <algorithm>
#include <catch2/catch.hpp>

#include "base/error.h"
#include "data/tokenizer.h"

using namespace qkv::data;
using Catch::Contains;

namespace {

// A few kilobytes of varied English, enough for a small SentencePiece vocabulary.
std::string small_corpus() {
  const char* subjects[] = {"The king", "A shepherd", "My brother", "Her daughter", "The old man", "Every city"};
  const char* verbs[] = {"went down to", "spoke unto", "looked upon", "departed from", "returned to"};
  const char* objects[] = {
      "the river", "the mountain of the Lord", "Jerusalem", "the house of his father", "the wilderness", "the people"};
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += std::string(subjects[i % 6]) + " " + verbs[(i / 6) % 5] + " " + objects[(i * 7) % 6] +
            (i % 3 ? ", and rested.\n" : "; then slept (" + std::to_string(i) + " days).\n");
  return text;
}

}  // namespace

TEST_CASE("char tokenizer: ids are the sorted distinct code points", "[data]") {
  auto tok = make_char_tokenizer("hello, wörld\n");
  CHECK(tok->vocab_size() == 11);  // \n space , d e h l o r w ö
  CHECK(tok->encode("\n ,dehlorwö") == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  REQUIRE_THROWS_WITH(tok->encode("wax"), Contains("'a' (U+0061) at character 1 is not in the vocabulary"));
  CHECK(tok->decode(std::vector<int32_t>{5, 4, 6, 6, 10}) == "hellö");
  REQUIRE_THROWS_WITH(tok->decode(std::vector<int32_t>{11}), Contains("id 11 is outside the vocabulary [0, 11)"));
  REQUIRE_THROWS_WITH(tok->decode(std::vector<int32_t>{-1}), Contains("id -1 is outside"));

  std::string blob = tok->serialize();
  CHECK(blob == "qkv-tokenizer 1 char\n\n ,dehlorwö");
  auto back = load_tokenizer(blob);
  CHECK(back->kind() == "char");
  CHECK(back->encode("hello, wörld\n") == tok->encode("hello, wörld\n"));
}

TEST_CASE("build_tokenizer takes char vocabularies from every split", "[data]") {
  Corpus c{"literal", "literal", "abc", "cd", "e"};
  auto tok = build_tokenizer(TokenizerKind::char_, c);
  CHECK(tok->vocab_size() == 5);
  CHECK(tok->encode("e") == std::vector<int32_t>{4});
  REQUIRE_THROWS_WITH(qkv::parse_name<TokenizerKind>("words", "data.tokenizer"),
                      Contains("data.tokenizer must be one of char, bpe, unigram, got \"words\""));
}

TEST_CASE("SentencePiece tokenizers on a small corpus: exact round trips and reload", "[data]") {
  std::string text = small_corpus();
  for (const char* kind : {"bpe", "unigram"}) {
    SECTION(kind) {
      auto tok = train_sentencepiece(text, kind, 500);
      CHECK(tok->kind() == kind);
      CHECK(tok->vocab_size() <= 500);
      CHECK(tok->vocab_size() > 256);  // the 256 byte pieces and more
      std::vector<int32_t> ids = tok->encode(text);
      CHECK(ids.size() < text.size() * 2 / 3);  // pieces longer than characters
      CHECK(tok->decode(ids) == text);
      std::string odd = "  Leading spaces, ünïcode ✓ and\ttabs\n\nblank lines\n";
      CHECK(tok->decode(tok->encode(odd)) == odd);
      CHECK(tok->encode("").empty());

      auto reloaded = load_tokenizer(tok->serialize());
      CHECK(reloaded->encode(odd) == tok->encode(odd));
      CHECK(reloaded->encode(text) == ids);
      REQUIRE_THROWS_WITH(tok->decode(std::vector<int32_t>{static_cast<int32_t>(tok->vocab_size())}),
                          Contains("is outside the vocabulary"));
    }
  }
}

TEST_CASE("SentencePiece trains on text without line breaks (cut into sentences)", "[data]") {
  std::string text = small_corpus();
  std::replace(text.begin(), text.end(), '\n', ' ');  // one 22 kB line, longer than a sentence may be
  auto tok = train_sentencepiece(text, "bpe", 400);
  std::vector<int32_t> ids = tok->encode(text);
  CHECK(ids.size() < text.size() / 2);
  CHECK(tok->decode(ids) == text);
}

TEST_CASE("tokenizer blobs and training errors", "[data]") {
  REQUIRE_THROWS_WITH(load_tokenizer("GPT2 tokenizer"), Contains("not a qkv tokenizer"));
  REQUIRE_THROWS_WITH(load_tokenizer("qkv-tokenizer 1 wordpiece\nxyz"), Contains("unknown kind 'wordpiece'"));
  REQUIRE_THROWS_WITH(load_tokenizer("qkv-tokenizer 1 char\nba"), Contains("ascending order"));
  REQUIRE_THROWS_WITH(load_tokenizer("qkv-tokenizer 1 bpe\n!!!"), Contains("not base64"));
  REQUIRE_THROWS_WITH(load_tokenizer("qkv-tokenizer 1 bpe\nAAAA"), Contains("cannot load the SentencePiece model"));
  REQUIRE_THROWS_WITH(train_sentencepiece("\n\n", "bpe", 300), Contains("training text is empty"));
  REQUIRE_THROWS_WITH(train_sentencepiece("some text\n", "wordpiece", 300), Contains("unknown SentencePiece model"));
  REQUIRE_THROWS_WITH(make_char_tokenizer(""), Contains("the text is empty"));
}
