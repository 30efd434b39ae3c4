// A corpus for translation: source/target sentence pairs of its train, validation and
// test splits.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "data/parallel_dataset.h"

namespace qkv::data {

struct SentencePair {
  std::string src, tgt;  // UTF-8, neither empty
};

struct ParallelCorpus {
  std::string name;                            // dataset name or the path it came from
  std::string origin;                          // for messages, e.g. "data-cache/kjv-es (cached)"
  std::vector<SentencePair> train, val, test;  // test may be empty
};

// Loads the parallel corpus a config's `data.corpus` names:
// - a parallel dataset name (kjv-es, web-es, kjv-web): prepared into data_dir/NAME on first
//   use (parallel_dataset.h), reused after; train.tsv, val.tsv and test.tsv;
// - a directory holding train.tsv and val.tsv (test.tsv when present), or src.txt and
//   tgt.txt (line i of one translates line i of the other);
// - a TSV file: one pair per line, source<TAB>target.
// For src.txt + tgt.txt and a single TSV file the last 10% of the pairs (lines) are the
// validation split, the first int(n * 0.9) the training split: deterministic, no
// shuffling, no test split. A final newline is optional and a "\r" before it is ignored.
// A path that is spelled like a dataset name is read as the dataset: write ./kjv-es.
// Errors (one line, naming the file and what was expected): a missing file; an empty
// corpus or split; non-UTF-8 bytes; a TSV line without exactly one tab (file:line);
// src.txt and tgt.txt with different line counts; an empty source or target (file:line).
ParallelCorpus load_parallel_corpus(const std::string& spec, const std::string& data_dir = default_data_dir());

// The pairs of a TSV text ("src<TAB>tgt" lines); `path` names it in errors.
std::vector<SentencePair> parse_tsv(std::string_view text, const std::string& path);

}  // namespace qkv::data
