// The translation corpora of docs/design.md section 7, prepared from two Bible modules (bible.h):
// `qkv data kjv-es|web-es|kjv-web` reads both modules, pairs their verses by reference and
// drops the pairs that are not translations of each other (verse_alignment.h), then writes
// DIR/NAME/{train,val,test}.tsv: one pair per line, "source<TAB>target" (a tab, carriage
// return or newline inside a verse would become a space; stripped verses have none).
//
//   kjv-es   KJV -> RV1909   checked by both modules' Strong's numbers: 30,794 pairs kept
//   web-es   WEB -> RV1909   checked by kjv-es's verdicts at the same references: 30,787
//   kjv-web  KJV -> WEB      paired by reference only: 31,095
// WEB shares KJV's verse numbering, but its Strong's numbers follow the Hebrew one (its
// Exodus 8:1 carries the numbers of English 8:5, Hebrew 8:1; in a psalm with a title,
// verse 1 carries the title's), so they would drop thousands of good pairs: web-es borrows
// kjv-es's verdicts (the Spanish verse at a reference is the same in both) and kjv-web,
// whose modules number alike, needs no check.
//
// RV1909 prints psalm titles inline in verse 1 where KJV and WEB mark them as titles
// (osis.h keeps those apart): a title is put in front of the source verse when the target
// module marks none, so both sides of the pair carry it.
//
// The split is the monolingual datasets' split by book (book_split), so no test verse
// is ever in training. Next to each split, {split}.ref lists each pair's reference;
// dropped.tsv lists the pairs a check dropped (reference, verdict, overlap, source, target).
// README.md says what was done; manifest.txt (written last) records the counts and file
// sizes, and a folder whose manifest matches its files is reused (dataset_folder.h).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/bible.h"

namespace qkv::data {

enum class PairCheck {
  strongs,   // both modules' Strong's numbers (check_strongs)
  borrowed,  // the verdicts of dataset `checked_by` at the same references (copy_verdicts)
  none,      // paired by reference only
};

struct ParallelDatasetInfo {
  std::string name;            // "kjv-es"
  std::string source, target;  // Bible datasets (bible.h): "kjv", "sparv"
  std::string description;     // one line for the README and the command's output
  PairCheck check = PairCheck::strongs;
  std::string checked_by;  // for PairCheck::borrowed: the dataset whose verdicts are used
};

// kjv-es (English KJV -> Spanish RV1909, the default translation corpus), web-es, kjv-web.
const std::vector<ParallelDatasetInfo>& parallel_datasets();
// nullptr when `name` is not one of them.
const ParallelDatasetInfo* find_parallel_dataset(std::string_view name);
bool is_parallel_dataset(std::string_view name);
// "kjv-es, web-es, kjv-web": their names, for messages.
std::string parallel_dataset_names();

struct ParallelSplitStats {
  int64_t books = 0, pairs = 0;
  int64_t src_chars = 0, tgt_chars = 0;  // Unicode code points of the sentences, separators excluded
  int64_t bytes = 0;                     // of the .tsv file
};

// What the pairing and its check did (verse_alignment.h), counted over all splits.
struct PairFilterStats {
  int64_t paired = 0;                             // references both modules have
  int64_t source_only = 0, target_only = 0;       // references only one module has
  int64_t unchecked = 0;                          // kept without a check (no Strong's numbers on a side)
  int64_t low_overlap = 0, neighbour_better = 0;  // failing pairs
  int64_t chapter_dropped = 0;                    // other pairs of chapters with 3 or more failures
  std::vector<std::string> dropped_chapters;      // "Numbers 13"
  int64_t dropped() const { return low_overlap + neighbour_better + chapter_dropped; }
};

struct PreparedParallelDataset {
  std::string name;
  std::string dir;      // DIR/NAME
  bool cached = false;  // reused a complete earlier preparation
  std::array<ParallelSplitStats, 3> splits;
  PairFilterStats filter;
  int64_t words_separated = 0;  // in the written pairs: added words split from a neighbour (osis.h)
  int64_t titles_added = 0;     // psalm titles put in front of a source verse
  ParallelSplitStats total() const;
};

// What the check of `d` does, in one line (for the README, the manifest and messages).
std::string check_description(const ParallelDatasetInfo& d);

// Prepares parallel dataset `name` into data_dir/name (or reuses it when complete, unless
// `force`); `mod2imp` is the program run, replaceable for tests (bible.h).
PreparedParallelDataset prepare_parallel_dataset(const std::string& name, const std::string& data_dir,
                                                 bool force = false, const std::string& mod2imp = "mod2imp");

}  // namespace qkv::data
