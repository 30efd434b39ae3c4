// A corpus for language modelling: the text of its train, validation and test splits.
#pragma once
#include <string>

#include "data/bible.h"

namespace qkv::data {

struct Corpus {
  std::string name;              // the dataset name or the path it was loaded from
  std::string origin;            // where the text came from, for messages ("data-cache/kjv (cached)")
  std::string train, val, test;  // UTF-8; test may be empty
};

// Loads the corpus a config's `data.corpus` names:
// - a dataset name (kjv, web, sparv): prepared into data_dir/NAME on first use (bible.h),
//   reused after; train.txt, val.txt and test.txt;
// - a directory: its train.txt and val.txt (test.txt when present);
// - a UTF-8 text file: its last 10% of characters (code points) is the validation split,
//   as nanoGPT's prepare.py does (`data[int(n * 0.9):]`); no test split.
// A path that is spelled like a dataset name is read as the dataset: write ./kjv.
// Errors (one line, naming the file): missing file, an empty corpus or split, non-UTF-8 bytes.
Corpus load_corpus(const std::string& spec, const std::string& data_dir = default_data_dir());

// Splits one text: the first int(n * (1 - val_fraction)) code points are train, the rest val.
Corpus split_text(std::string text, double val_fraction = 0.1);

}  // namespace qkv::data
