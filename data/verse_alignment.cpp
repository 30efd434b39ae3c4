#include "data/verse_alignment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

namespace qkv::data {
namespace {

using StrongsSet = std::vector<std::string>;  // sorted, distinct, normalized

StrongsSet strongs_set(const std::vector<std::string>& numbers) {
  StrongsSet set;
  for (const std::string& n : numbers)
    if (!n.empty()) set.push_back(normalize_strongs(n));  // KJV has two empty "strong:" lemmas
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

std::vector<StrongsSet> strongs_sets(const std::vector<Verse>& verses) {
  std::vector<StrongsSet> sets;
  sets.reserve(verses.size());
  for (const Verse& v : verses) sets.push_back(strongs_set(v.strongs));
  return sets;
}

double set_overlap(const StrongsSet& a, const StrongsSet& b) {
  if (a.empty() || b.empty()) return -1;
  size_t common = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  return static_cast<double>(common) / static_cast<double>(std::min(a.size(), b.size()));
}

// The previous and next verse of verses[i] in its module, where they are in the same book.
std::vector<size_t> neighbours(const std::vector<Verse>& verses, size_t i) {
  std::vector<size_t> n;
  if (i > 0 && verses[i - 1].book == verses[i].book) n.push_back(i - 1);
  if (i + 1 < verses.size() && verses[i + 1].book == verses[i].book) n.push_back(i + 1);
  return n;
}

std::string chapter_of(const Verse& v) { return fmt::format("{} {}", v.book, v.chapter); }

bool is_failure(PairVerdict v) { return v == PairVerdict::low_overlap || v == PairVerdict::neighbour_better; }

}  // namespace

const char* verdict_name(PairVerdict v) {
  switch (v) {
    case PairVerdict::kept:
      return "kept";
    case PairVerdict::unchecked:
      return "unchecked";
    case PairVerdict::low_overlap:
      return "low overlap";
    case PairVerdict::neighbour_better:
      return "neighbour matches better";
    case PairVerdict::chapter_dropped:
      return "chapter dropped";
  }
  return "?";
}

int64_t VerseAlignment::count(PairVerdict v) const {
  return std::count_if(pairs.begin(), pairs.end(), [v](const VersePair& p) { return p.verdict == v; });
}

int64_t VerseAlignment::kept() const {
  return std::count_if(pairs.begin(), pairs.end(), [](const VersePair& p) { return p.kept(); });
}

std::string normalize_strongs(std::string_view number) {
  std::string n;
  size_t digits = 0;
  while (digits < number.size() && !std::isdigit(static_cast<unsigned char>(number[digits]))) {
    n += static_cast<char>(std::toupper(static_cast<unsigned char>(number[digits])));
    ++digits;
  }
  while (digits + 1 < number.size() && number[digits] == '0' &&
         std::isdigit(static_cast<unsigned char>(number[digits + 1])))
    ++digits;
  n += number.substr(digits);
  return n;
}

double strongs_overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return set_overlap(strongs_set(a), strongs_set(b));
}

VerseAlignment pair_by_reference(const std::vector<Verse>& src, const std::vector<Verse>& tgt) {
  std::unordered_map<std::string, size_t> target_at;
  for (size_t i = 0; i < tgt.size(); ++i) target_at.emplace(reference(tgt[i]), i);
  VerseAlignment a;
  for (size_t i = 0; i < src.size(); ++i) {
    auto it = target_at.find(reference(src[i]));
    if (it == target_at.end()) {
      ++a.source_only;
      continue;
    }
    a.pairs.push_back({i, it->second});
  }
  a.target_only = static_cast<int64_t>(tgt.size() - a.pairs.size());
  return a;
}

void check_strongs(VerseAlignment& alignment, const std::vector<Verse>& src, const std::vector<Verse>& tgt,
                   const StrongsCheck& check) {
  std::vector<StrongsSet> src_sets = strongs_sets(src), tgt_sets = strongs_sets(tgt);
  std::map<std::string, int> failures;  // per chapter
  for (VersePair& p : alignment.pairs) {
    p.overlap = set_overlap(src_sets[p.src], tgt_sets[p.tgt]);
    if (p.overlap < 0) {
      p.verdict = PairVerdict::unchecked;
      continue;
    }
    bool neighbour_better = false;
    for (size_t n : neighbours(tgt, p.tgt)) neighbour_better |= set_overlap(src_sets[p.src], tgt_sets[n]) > p.overlap;
    for (size_t n : neighbours(src, p.src)) neighbour_better |= set_overlap(src_sets[n], tgt_sets[p.tgt]) > p.overlap;
    p.verdict = p.overlap < check.min_overlap ? PairVerdict::low_overlap
                : neighbour_better            ? PairVerdict::neighbour_better
                                              : PairVerdict::kept;
    if (is_failure(p.verdict)) ++failures[chapter_of(src[p.src])];
  }
  alignment.dropped_chapters.clear();
  for (VersePair& p : alignment.pairs) {
    std::string chapter = chapter_of(src[p.src]);
    auto it = failures.find(chapter);
    if (it == failures.end() || it->second < check.chapter_failures) continue;
    if (alignment.dropped_chapters.empty() || alignment.dropped_chapters.back() != chapter)
      alignment.dropped_chapters.push_back(chapter);
    if (p.kept()) p.verdict = PairVerdict::chapter_dropped;
  }
}

void copy_verdicts(VerseAlignment& alignment, const std::vector<Verse>& src, const VerseAlignment& checked,
                   const std::vector<Verse>& checked_src) {
  std::unordered_map<std::string, const VersePair*> checked_at;
  for (const VersePair& p : checked.pairs) checked_at.emplace(reference(checked_src[p.src]), &p);
  for (VersePair& p : alignment.pairs) {
    auto it = checked_at.find(reference(src[p.src]));
    if (it == checked_at.end()) {
      p.verdict = PairVerdict::unchecked;
      continue;
    }
    p.verdict = it->second->verdict;
    p.overlap = it->second->overlap;
  }
  alignment.dropped_chapters = checked.dropped_chapters;
}

}  // namespace qkv::data
