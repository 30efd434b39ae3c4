#include "data/corpus.h"

#include <filesystem>

#include "base/error.h"
#include "data/dataset_folder.h"
#include "data/text_file.h"
#include "data/utf8.h"

namespace qkv::data {
namespace fs = std::filesystem;

namespace {

// Whitespace alone is empty too: nothing to learn from.
void check_not_empty(const std::string& text, const std::string& what) {
  QKV_CHECK(text.find_first_not_of(" \t\r\n") != std::string::npos, "corpus: {} is empty", what);
}

Corpus load_split_dir(const fs::path& dir, const std::string& spec) {
  Corpus c;
  c.name = spec;
  for (const char* required : {"train.txt", "val.txt"})
    QKV_CHECK(fs::exists(dir / required), "corpus: {} has no {} (a corpus folder holds train.txt and val.txt)", spec,
          required);
  c.train = read_text_file((dir / "train.txt").string());
  c.val = read_text_file((dir / "val.txt").string());
  if (fs::exists(dir / "test.txt")) c.test = read_text_file((dir / "test.txt").string());
  check_not_empty(c.train, (dir / "train.txt").string());
  check_not_empty(c.val, (dir / "val.txt").string());
  return c;
}

}  // namespace

Corpus split_text(std::string text, double val_fraction) {
  size_t n = count_code_points(text);
  auto n_train = static_cast<size_t>(static_cast<double>(n) * (1.0 - val_fraction));
  size_t cut = code_point_offset(text, n_train);
  Corpus c;
  c.val = text.substr(cut);
  text.resize(cut);
  c.train = std::move(text);
  return c;
}

Corpus load_corpus(const std::string& spec, const std::string& data_dir) {
  QKV_CHECK(!spec.empty(), "corpus: no corpus given (a dataset name such as kjv, or a path to a text file)");
  if (find_bible_module(spec))
    return load_prepared([&] { return prepare_dataset(spec, data_dir); },
                         [&](const std::string& dir) { return load_split_dir(dir, spec); });
  std::error_code ec;
  if (fs::is_directory(spec, ec)) {
    Corpus c = load_split_dir(spec, spec);
    c.origin = spec;
    return c;
  }
  if (!fs::exists(spec, ec)) fail("corpus: no such file: {} (nor a dataset name: {})", spec, bible_names());
  std::string text = read_text_file(spec);
  check_not_empty(text, spec);
  Corpus c = split_text(std::move(text));
  QKV_CHECK(!c.val.empty(), "corpus: {} is too short to split off a validation part ({} characters)", spec,
        count_code_points(c.train));
  c.name = spec;
  c.origin = spec + " (last 10% is validation)";
  return c;
}

}  // namespace qkv::data
