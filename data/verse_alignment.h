// Verse pairs of two Bible modules (translations of each other), and the check that
// drops pairs that are not (docs/design.md section 7).
//
// Verses are paired by reference (book, chapter, verse). Verse numbering mostly agrees,
// but some chapters are shifted by a verse in one module (RV1909 follows the Hebrew
// numbering in Numbers 13, Job 40, Jonah 2, ...). Where both modules tag their words with
// Strong's numbers (KJV and RV1909 do), check_strongs finds those places:
// - overlap: the share of distinct Strong's numbers the two verses have in common, over
//   the smaller of the two sets (|A ∩ B| / min(|A|, |B|)). Numbers are compared after
//   normalize_strongs, so "H07225" and "H7225" match. Distinct numbers, over the smaller
//   side: a verse that adds or repeats words (or one whose translation tags fewer of
//   them) still matches in full; numbers repeated in one translation do not count twice.
// - a pair fails when its overlap is below 0.5 (low_overlap), or when a neighbouring
//   verse of the other module (the previous or next verse in that module, same book)
//   overlaps more with it (neighbour_better);
// - a chapter with 3 or more failing pairs is shifted: all of its pairs are dropped
//   (chapter_dropped for those that passed).
// A pair where either verse has no Strong's numbers cannot be checked: it is kept
// (unchecked) unless its chapter is dropped, and it is nobody's neighbour. For KJV and
// RV1909 this drops 215 failing pairs and 10 chapters: 290 of 31,084 pairs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/osis.h"

namespace qkv::data {

enum class PairVerdict { kept, unchecked, low_overlap, neighbour_better, chapter_dropped };
// "kept", "unchecked", "low overlap", "neighbour matches better", "chapter dropped".
const char* verdict_name(PairVerdict v);

struct VersePair {
  size_t src = 0, tgt = 0;  // indices into the source and target verse lists
  double overlap = -1;      // Strong's overlap; -1 when a side has no Strong's numbers
  PairVerdict verdict = PairVerdict::kept;
  bool kept() const { return verdict == PairVerdict::kept || verdict == PairVerdict::unchecked; }
};

struct VerseAlignment {
  std::vector<VersePair> pairs;               // every reference both modules have, in source order
  std::vector<std::string> dropped_chapters;  // "Numbers 13", in source order
  int64_t source_only = 0, target_only = 0;   // references only one module has (nothing to pair)
  int64_t count(PairVerdict v) const;
  int64_t kept() const;
};

struct StrongsCheck {
  double min_overlap = 0.5;
  int chapter_failures = 3;  // a chapter with this many failing pairs is dropped whole
};

// "H07225" -> "H7225", "g25" -> "G25": upper-case letter, no leading zeros.
std::string normalize_strongs(std::string_view number);

// |A ∩ B| / min(|A|, |B|) over the distinct normalized numbers; -1 when either is empty.
double strongs_overlap(const std::vector<std::string>& a, const std::vector<std::string>& b);

// Pairs verses with the same reference; every pair starts as kept.
VerseAlignment pair_by_reference(const std::vector<Verse>& src, const std::vector<Verse>& tgt);

// Sets each pair's overlap and verdict, and the dropped chapters (see the top of this file).
void check_strongs(VerseAlignment& alignment, const std::vector<Verse>& src, const std::vector<Verse>& tgt,
                   const StrongsCheck& check = {});

// Takes the verdicts (and overlaps) of `checked`, an alignment of other modules whose
// source numbers verses like this one's, by reference; a pair `checked` does not have is
// unchecked. web-es uses kjv-es's check: WEB shares KJV's numbering, but its Strong's
// numbers follow the Hebrew one.
void copy_verdicts(VerseAlignment& alignment, const std::vector<Verse>& src, const VerseAlignment& checked,
                   const std::vector<Verse>& checked_src);

}  // namespace qkv::data
