#include "data/osis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "data/utf8.h"

namespace qkv::data {
namespace {

// ---- characters ----

bool is_space(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }

// Letters of the scripts in these texts: ASCII, Latin-1 and Latin Extended, and everything
// from Greek up (Hebrew, ...).
bool is_letter(char32_t c) {
  return (c < 0x80 && std::isalpha(static_cast<int>(c))) || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
         c >= 0x370;
}

// Never preceded by a space, even one in the source (WEB has a few stray ones: "coins ?").
bool is_tight_punct(char32_t c) { return c == ',' || c == '.' || c == ';' || c == ':' || c == '?' || c == '!'; }

// No space goes before these where a removed element sat right before them ...
bool is_closing_punct(char32_t c) {
  return is_tight_punct(c) || c == ')' || c == ']' || c == '}' || c == 0x2019 || c == 0x201D || c == 0xBB ||
         c == 0x2026;  // ’ ” » …
}

// ... nor after these.
bool is_opening_punct(char32_t c) {
  return c == '(' || c == '[' || c == '{' || c == 0x2018 || c == 0x201C || c == 0xAB || c == 0xBF ||
         c == 0xA1;  // ‘ “ « ¿ ¡
}

// ---- markup ----

// Elements dropped with everything they contain.
bool is_dropped_element(std::string_view name) { return name == "note" || name == "title" || name == "speaker"; }

struct Tag {
  std::string_view name;
  std::string_view attrs;  // everything after the name
  bool closing = false;    // </name>
  bool empty = false;      // <name ... />
};

// `body` is the text between '<' and '>'.
Tag parse_tag(std::string_view body) {
  Tag t;
  if (!body.empty() && body.front() == '/') {
    t.closing = true;
    body.remove_prefix(1);
  }
  if (!body.empty() && body.back() == '/') {
    t.empty = true;
    body.remove_suffix(1);
  }
  size_t end = body.find_first_of(" \t\n\r");
  t.name = body.substr(0, end);
  t.attrs = end == std::string_view::npos ? std::string_view{} : body.substr(end);
  return t;
}

// The value of attribute `key` (empty when absent).
std::string_view attribute(std::string_view attrs, std::string_view key) {
  for (size_t pos = 0; (pos = attrs.find(key, pos)) != std::string_view::npos; pos += key.size()) {
    size_t eq = pos + key.size();
    bool starts_name = pos == 0 || is_space(static_cast<unsigned char>(attrs[pos - 1]));
    if (!starts_name || eq + 1 >= attrs.size() || attrs[eq] != '=' || (attrs[eq + 1] != '"' && attrs[eq + 1] != '\''))
      continue;
    size_t close = attrs.find(attrs[eq + 1], eq + 2);
    if (close == std::string_view::npos) return {};
    return attrs.substr(eq + 2, close - eq - 2);
  }
  return {};
}

// "strong:H7225 strong:H0853" -> H7225, H0853 (other lemma schemes are ignored).
void collect_strongs(std::string_view lemma, std::vector<std::string>& out) {
  constexpr std::string_view prefix = "strong:";
  for (size_t pos = 0; (pos = lemma.find(prefix, pos)) != std::string_view::npos;) {
    pos += prefix.size();
    size_t end = std::min(lemma.find(' ', pos), lemma.size());
    out.emplace_back(lemma.substr(pos, end - pos));
  }
}

// Decodes the entity at text[pos] ('&'): on success appends it and moves pos past the ';'.
bool decode_entity(std::string_view text, size_t& pos, std::string& out) {
  size_t semi = text.find(';', pos);
  if (semi == std::string_view::npos || semi - pos > 10) return false;
  std::string_view name = text.substr(pos + 1, semi - pos - 1);
  static constexpr std::pair<std::string_view, char32_t> named[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  char32_t cp = 0;
  for (const auto& [n, c] : named)
    if (name == n) cp = c;
  if (cp == 0 && name.size() > 1 && name[0] == '#') {  // &#233; or &#xE9;
    bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
    if (ec == std::errc() && end == digits.data() + digits.size() && v <= 0x10FFFF) cp = v;
  }
  if (cp == 0) return false;
  append_utf8(out, cp);
  pos = semi + 1;
  return true;
}

// "\nd", "\+nd*", "\wj*": a backslash, an optional '+', letters and digits, an optional '*'.
size_t skip_usfm_marker(std::string_view run, size_t pos) {
  ++pos;
  if (pos < run.size() && run[pos] == '+') ++pos;
  while (pos < run.size() && std::isalnum(static_cast<unsigned char>(run[pos]))) ++pos;
  if (pos < run.size() && run[pos] == '*') ++pos;
  return pos;
}

// Spanish object pronouns attach to the verb before them ("hízo" + "lo"), not to the
// other words they follow in RV1909 (the exceptions listed were all found there).
bool is_enclitic(std::string_view piece, std::string_view previous_word) {
  static constexpr std::string_view pronouns[] = {"lo", "la", "le", "los", "las", "les", "me", "te", "se", "nos", "os"};
  static constexpr std::string_view not_verbs[] = {"y",  "e",     "ó",     "u",      "que",  "no",     "como", "cuánto",
                                                   "os", "ellos", "ellas", "gentes", "dios", "jehová", "josué"};
  std::string word(previous_word);
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto listed = [](const auto& list, std::string_view w) {
    return std::find(std::begin(list), std::end(list), w) != std::end(list);
  };
  return listed(pronouns, piece) && !listed(not_verbs, word);
}

// Plain text accumulated with collapsed whitespace. A pending break (where an element was
// removed) becomes one space when it falls between two words; a pending word break (the
// edge of a translator's added word) only when it falls between two letters.
class TextBuilder {
 public:
  void soft_break() { pending_break_ = true; }
  void word_break() { pending_word_break_ = true; }

  // A text run between tags: entities decoded, USFM markers removed, pilcrows dropped.
  void add_run(std::string_view run) {
    for (size_t pos = 0; pos < run.size();) {
      if (run[pos] == '\\') {
        pos = skip_usfm_marker(run, pos);
        soft_break();
        continue;
      }
      if (run[pos] == '&') {
        std::string decoded;
        if (decode_entity(run, pos, decoded)) {
          size_t k = 0;
          add(next_code_point(decoded, k));
          continue;
        }
      }
      add(next_code_point(run, pos));
    }
  }

  // The text after the last space.
  std::string_view last_word() const {
    size_t space = out_.rfind(' ');
    return std::string_view(out_).substr(space == std::string::npos ? 0 : space + 1);
  }

  std::string take() { return std::move(out_); }
  int words_separated() const { return words_separated_; }

 private:
  void add(char32_t c) {
    if (c == 0xB6) {  // pilcrow: a paragraph mark, not text
      soft_break();
      return;
    }
    if (is_space(c)) {
      pending_space_ = true;
      return;
    }
    if (!out_.empty()) {
      bool spaced = (pending_space_ && !is_tight_punct(c)) ||
                    (pending_break_ && !is_opening_punct(last_) && !is_closing_punct(c));
      bool glued_added_word = pending_word_break_ && is_letter(last_) && is_letter(c);
      if (spaced || glued_added_word) out_ += ' ';
      if (glued_added_word && !spaced) ++words_separated_;
    }
    pending_space_ = pending_break_ = pending_word_break_ = false;
    append_utf8(out_, c);
    last_ = c;
  }

  std::string out_;
  char32_t last_ = 0;
  bool pending_space_ = false, pending_break_ = false, pending_word_break_ = false;
  int words_separated_ = 0;
};

}  // namespace

StrippedVerse strip_osis(std::string_view osis) {
  StrippedVerse result;
  TextBuilder text;
  std::string_view dropping;  // the element being dropped, and how deep in it we are
  int drop_depth = 0;
  for (size_t pos = 0; pos < osis.size();) {
    size_t lt = std::min(osis.find('<', pos), osis.size());
    if (drop_depth == 0) text.add_run(osis.substr(pos, lt - pos));
    size_t gt = osis.find('>', lt);
    if (gt == std::string_view::npos) break;  // no tag left (or a truncated one: not text either)
    Tag tag = parse_tag(osis.substr(lt + 1, gt - lt - 1));
    pos = gt + 1;

    if (drop_depth > 0) {  // inside a dropped element: only follow its nesting
      if (tag.name == dropping && !tag.empty) drop_depth += tag.closing ? -1 : 1;
      continue;
    }
    if (tag.name == "div" && attribute(tag.attrs, "type") == "book" && !attribute(tag.attrs, "eID").empty()) break;
    // Canonical titles (psalm superscriptions) are not verse text, but RV1909 prints them
    // inline in verse 1: kept apart, so a verse pair can put them on both sides.
    if (tag.name == "title" && !tag.closing && !tag.empty && attribute(tag.attrs, "canonical") == "true") {
      constexpr std::string_view close_tag = "</title>";
      size_t close = std::min(osis.find(close_tag, pos), osis.size());
      StrippedVerse title = strip_osis(osis.substr(pos, close - pos));
      if (!title.text.empty()) result.title += (result.title.empty() ? "" : " ") + title.text;
      result.strongs.insert(result.strongs.end(), title.strongs.begin(), title.strongs.end());
      pos = std::min(close + close_tag.size(), osis.size());
      text.soft_break();
      continue;
    }
    if (is_dropped_element(tag.name)) {
      if (!tag.closing && !tag.empty) {
        dropping = tag.name;
        drop_depth = 1;
      }
      text.soft_break();
      continue;
    }
    if (tag.name == "w" && !tag.closing) collect_strongs(attribute(tag.attrs, "lemma"), result.strongs);
    // Words the translators added (<transChange>) sometimes touch their neighbours with no
    // space ("uno</w><transChange>llamado</transChange><w>Lázaro"); enclitic pronouns are
    // meant to attach to the verb before them.
    if (tag.name == "transChange" && !tag.empty) {
      std::string_view inner = osis.substr(pos, osis.find('<', pos) - pos);
      if (tag.closing || !is_enclitic(inner, text.last_word())) text.word_break();
    }
    // Other inline elements keep their text glued to its neighbours ("<w>God</w>’s");
    // empty elements (milestones, line and paragraph markers) separate like a space.
    if (tag.empty) text.soft_break();
  }
  result.words_separated = text.words_separated();
  result.text = text.take();
  return result;
}

std::string reference(const Verse& v) { return fmt::format("{} {}:{}", v.book, v.chapter, v.verse); }

std::vector<Verse> parse_imp(std::string_view imp) {
  std::vector<Verse> verses;
  constexpr std::string_view marker = "$$$";
  for (size_t pos = imp.find(marker); pos != std::string_view::npos;) {
    size_t eol = std::min(imp.find('\n', pos), imp.size());
    std::string_view header = imp.substr(pos + marker.size(), eol - pos - marker.size());
    size_t body_start = std::min(eol + 1, imp.size());
    size_t next = imp.find("\n$$$", eol);
    size_t body_end = next == std::string_view::npos ? imp.size() : next;
    std::string_view body = imp.substr(body_start, body_end > body_start ? body_end - body_start : 0);
    pos = next == std::string_view::npos ? next : next + 1;

    // "Book C:V": the book name is everything before the last space.
    size_t space = header.rfind(' ');
    size_t colon = header.rfind(':');
    if (header.empty() || header.front() == '[' || space == std::string_view::npos || colon == std::string_view::npos ||
        colon < space)
      continue;
    Verse v;
    v.book = std::string(header.substr(0, space));
    auto ch = std::from_chars(header.data() + space + 1, header.data() + colon, v.chapter);
    auto vs = std::from_chars(header.data() + colon + 1, header.data() + header.size(), v.verse);
    if (ch.ec != std::errc() || vs.ec != std::errc() || v.chapter == 0 || v.verse == 0) continue;
    StrippedVerse s = strip_osis(body);
    if (s.text.empty()) continue;
    v.text = std::move(s.text);
    v.strongs = std::move(s.strongs);
    v.words_separated = s.words_separated;
    v.title = std::move(s.title);
    verses.push_back(std::move(v));
  }
  return verses;
}

}  // namespace qkv::data
