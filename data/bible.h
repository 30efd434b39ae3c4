// The Bible corpora of docs/design.md section 7, prepared from Debian's SWORD packages:
// `qkv data kjv|web|sparv` runs `mod2imp MODULE`, strips the OSIS markup (osis.h) and
// writes one verse per line into DIR/NAME/{train,val,test}.txt, split by book.
//
// The split is by book, deterministic, and the same for every module (so verse-aligned
// pairs built from two modules can never cross it):
//   val:   Joshua, Lamentations, Jonah, Mark, Titus   (1,584 KJV verses, 5.1%)
//   test:  Judges, Joel, John                         (1,570 KJV verses, 5.0%)
//   train: every other book, in the module's order (Genesis 1:1 is its first line);
//          WEB's deuterocanonical books are all in train.
// Next to each split, NAME.ref lists the verse references ("Genesis 1:1") line by line.
// manifest.txt (written last) records the counts and file sizes; a folder whose manifest
// matches its files is complete and is reused instead of prepared again.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/osis.h"

namespace qkv::data {

struct BibleModule {
  std::string name;         // "kjv": the dataset name users type
  std::string module;       // "engKJV2006eb": the SWORD module
  std::string package;      // "sword-text-kjv": the Debian package that installs it
  std::string description;  // one line for the README and the command's output
};

// kjv, web, sparv.
const std::vector<BibleModule>& bible_modules();
// nullptr when `name` is not one of them.
const BibleModule* find_bible_module(std::string_view name);
// "kjv, web, sparv": their names, for messages.
std::string bible_names();

enum class Split { train = 0, val = 1, test = 2 };
constexpr std::array<const char*, 3> kSplitNames = {"train", "val", "test"};
// Which split a book (the English name mod2imp prints, e.g. "I Samuel") belongs to.
Split book_split(std::string_view book);
// "val = Joshua, Lamentations, Jonah, Mark, Titus; test = Judges, Joel, John; train = every other book"
std::string book_split_description();

// What a README of text from module `m` must say (WEB: its name is a trademark); empty
// for the others. Ends with a blank line.
std::string module_notice(const BibleModule& m);

// Every verse of a module, stripped (osis.h), in the module's order. Errors name the
// Debian package to install when `mod2imp` (libsword-utils) or the module is missing;
// `mod2imp` is the program run, replaceable for tests.
std::vector<Verse> read_sword_module(const BibleModule& m, const std::string& mod2imp = "mod2imp");

struct SplitStats {
  int64_t books = 0, verses = 0;
  int64_t chars = 0;  // Unicode code points, newlines included
  int64_t bytes = 0;
};

struct PreparedDataset {
  std::string name;
  std::string dir;      // DIR/NAME
  bool cached = false;  // reused a complete earlier preparation
  std::array<SplitStats, 3> splits;
  int64_t distinct_chars = 0;  // over all splits, newline included
  SplitStats total() const;
};

// The data folder: $QKV_DATA_DIR when set, else "data-cache" (relative to the current directory).
std::string default_data_dir();

// Prepares dataset `name` into data_dir/name (or reuses it when complete, unless `force`).
PreparedDataset prepare_dataset(const std::string& name, const std::string& data_dir, bool force = false,
                                const std::string& mod2imp = "mod2imp");

}  // namespace qkv::data
