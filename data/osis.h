// OSIS markup, as SWORD's `mod2imp` prints it, turned into plain verse text.
//
// mod2imp writes every verse slot of a module as a `$$$Book C:V` line followed by the
// slot's raw OSIS markup. strip_osis keeps the words (the text inside <w> elements too,
// whose Strong's numbers it collects) and drops everything that is not verse text:
// notes (footnotes and cross-references, with whatever they nest), titles (book and
// psalm titles, epistle subscriptions), speaker labels, milestones and other empty
// elements, pilcrows and USFM leftovers such as `\nd ... \nd*`. Whitespace is collapsed
// to single spaces. Where a removed element sat between two words, a space is kept
// ("God<note>...</note>created" reads "God created"), but not before closing punctuation.
// Words the translators added (<transChange>) that touch a neighbouring word with no space
// get one (RV1909: "hay allí<transChange>también</transChange>" reads "hay allí también"),
// unless the added word is an enclitic pronoun attached to its verb ("díjo" + "les").
// Canonical titles (psalm superscriptions) are not in the text either; their text is kept
// apart in `title` (their Strong's numbers are among the verse's).
// A book's closing <div type="book" eID=.../> ends the text: WEB appends a glossary to
// Revelation 22:21 after it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qkv::data {

struct StrippedVerse {
  std::string text;                  // plain UTF-8, entities decoded, no markup
  std::vector<std::string> strongs;  // Strong's numbers of the <w> elements ("H7225", "G2424"), in order, title's included
  int words_separated = 0;           // added words split from a neighbour they touched ("allí también")
  std::string title;                 // canonical titles in the verse, stripped ("A Psalm of David.")
};

StrippedVerse strip_osis(std::string_view osis);

struct Verse {
  std::string book;  // English book name as the module spells it ("Genesis", "I Samuel")
  int chapter = 0;
  int verse = 0;
  std::string text;
  std::vector<std::string> strongs;
  int words_separated = 0;  // as in StrippedVerse
  std::string title;        // as in StrippedVerse
};

// "Genesis 1:1": the reference as the .ref files list it.
std::string reference(const Verse& v);

// Parses mod2imp output: every `$$$Book C:V` slot, stripped. Skips module, testament and
// other `[ ... ]` headings, book and chapter introductions (C:0 or V:0) and slots whose
// text is empty once stripped (WEB has hundreds of empty verse slots).
std::vector<Verse> parse_imp(std::string_view imp);

}  // namespace qkv::data
