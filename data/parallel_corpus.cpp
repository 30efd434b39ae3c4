#include "data/parallel_corpus.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "base/error.h"
#include "data/dataset_folder.h"
#include "data/text_file.h"

namespace qkv::data {
namespace fs = std::filesystem;

namespace {

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// The lines of a text: no final empty line after the last newline, no "\r" before a newline.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

void check_sides(const SentencePair& p, const std::string& src_where, const std::string& tgt_where) {
  QKV_CHECK(!is_blank(p.src), "corpus: {}: the source sentence is empty", src_where);
  QKV_CHECK(!is_blank(p.tgt), "corpus: {}: the target sentence is empty", tgt_where);
}

std::vector<SentencePair> read_tsv(const fs::path& path) {
  std::vector<SentencePair> pairs = parse_tsv(read_text_file(path.string()), path.string());
  QKV_CHECK(!pairs.empty(), "corpus: {} is empty (expected source<TAB>target lines)", path.string());
  return pairs;
}

// src.txt and tgt.txt: line i of one translates line i of the other.
std::vector<SentencePair> read_line_aligned(const fs::path& src_path, const fs::path& tgt_path) {
  std::string src_text = read_text_file(src_path.string());
  std::string tgt_text = read_text_file(tgt_path.string());
  std::vector<std::string_view> src = lines_of(src_text), tgt = lines_of(tgt_text);
  QKV_CHECK(src.size() == tgt.size(),
        "corpus: {} has {} lines but {} has {} (line i of one translates line i of the other)", src_path.string(),
        src.size(), tgt_path.string(), tgt.size());
  QKV_CHECK(!src.empty(), "corpus: {} and {} are empty", src_path.string(), tgt_path.string());
  std::vector<SentencePair> pairs;
  pairs.reserve(src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    pairs.push_back({std::string(src[i]), std::string(tgt[i])});
    check_sides(pairs.back(), fmt::format("{}:{}", src_path.string(), i + 1),
                fmt::format("{}:{}", tgt_path.string(), i + 1));
  }
  return pairs;
}

// The first int(n * 0.9) pairs train, the rest validate.
ParallelCorpus split_last_tenth(std::vector<SentencePair> pairs, const std::string& what) {
  auto n_train = static_cast<size_t>(static_cast<double>(pairs.size()) * 0.9);
  QKV_CHECK(n_train > 0 && n_train < pairs.size(), "corpus: {} is too short to split off a validation part ({} pairs)",
        what, pairs.size());
  ParallelCorpus c;
  c.val.assign(std::make_move_iterator(pairs.begin() + static_cast<std::ptrdiff_t>(n_train)),
               std::make_move_iterator(pairs.end()));
  pairs.resize(n_train);
  c.train = std::move(pairs);
  return c;
}

ParallelCorpus load_folder(const fs::path& dir, const std::string& spec) {
  ParallelCorpus c;
  if (fs::exists(dir / "train.tsv") || !fs::exists(dir / "src.txt")) {
    for (const char* required : {"train.tsv", "val.tsv"})
      QKV_CHECK(fs::exists(dir / required),
            "corpus: {} has no {} (a parallel corpus folder holds train.tsv and val.tsv, or src.txt and tgt.txt)", spec,
            required);
    c.train = read_tsv(dir / "train.tsv");
    c.val = read_tsv(dir / "val.tsv");
    if (fs::exists(dir / "test.tsv")) c.test = read_tsv(dir / "test.tsv");
    c.origin = spec;
  } else {
    QKV_CHECK(fs::exists(dir / "tgt.txt"), "corpus: {} has src.txt but no tgt.txt (its line-aligned translation)", spec);
    c = split_last_tenth(read_line_aligned(dir / "src.txt", dir / "tgt.txt"), (dir / "src.txt").string());
    c.origin = spec + " (src.txt + tgt.txt; last 10% is validation)";
  }
  c.name = spec;
  return c;
}

}  // namespace

std::vector<SentencePair> parse_tsv(std::string_view text, const std::string& path) {
  std::vector<SentencePair> pairs;
  std::vector<std::string_view> lines = lines_of(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string where = fmt::format("{}:{}", path, i + 1);
    std::string_view line = lines[i];
    size_t tab = line.find('\t');
    size_t tabs = std::count(line.begin(), line.end(), '\t');
    QKV_CHECK(tabs == 1, "corpus: {}: expected one tab between source and target, found {}", where, tabs);
    pairs.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
    check_sides(pairs.back(), where, where);
  }
  return pairs;
}

ParallelCorpus load_parallel_corpus(const std::string& spec, const std::string& data_dir) {
  QKV_CHECK(!spec.empty(),
        "corpus: no parallel corpus given (a dataset name such as kjv-es, a TSV file, or a folder with train.tsv "
        "and val.tsv or src.txt and tgt.txt)");
  QKV_CHECK(find_bible_module(spec) == nullptr,
        "corpus: {} is a text corpus of one language; translation trains on sentence pairs (kjv-es, web-es, kjv-web, "
        "a TSV file, or a folder with train.tsv and val.tsv)",
        spec);
  if (is_parallel_dataset(spec))
    return load_prepared([&] { return prepare_parallel_dataset(spec, data_dir); },
                         [&](const std::string& dir) { return load_folder(dir, spec); });
  std::error_code ec;
  if (fs::is_directory(spec, ec)) return load_folder(spec, spec);
  if (!fs::exists(spec, ec))
    fail("corpus: no such file: {} (nor a parallel dataset name: {})", spec, parallel_dataset_names());
  ParallelCorpus c = split_last_tenth(read_tsv(spec), spec);
  c.name = spec;
  c.origin = spec + " (last 10% is validation)";
  return c;
}

}  // namespace qkv::data
