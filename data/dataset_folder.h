// A prepared dataset's folder (DATA_DIR/NAME), shared by every `qkv data` preparation.
//
// The folder is written whole into a side folder and renamed into place, so an interrupted
// run leaves no half-written dataset behind. manifest.txt is written last and records what
// the preparation produced ("key = value" lines, '#' starts a comment); a folder whose
// manifest is current and whose files have the sizes it recorded is complete and reused.
#pragma once
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace qkv::data {

using Manifest = std::map<std::string, std::string>;

// dir/manifest.txt; empty when there is none.
Manifest read_manifest(const std::string& dir);

// The value of `key` as an integer; -1 when absent or not a number.
int64_t manifest_int(const Manifest& manifest, const std::string& key);

// True when `path` is a file of exactly `bytes` bytes.
bool file_has_size(const std::string& path, int64_t bytes);

// A manifest's numbers: each key ("train_books") and where its value lives.
using ManifestCounters = std::vector<std::pair<std::string, int64_t*>>;
// "key = value" lines, one a counter, in order.
std::string manifest_lines(const ManifestCounters& counters);
// Reads every counter from the manifest; false when one is missing or not a count.
bool read_counters(const Manifest& manifest, const ManifestCounters& counters);

// A counter of a split's statistics (SplitStats, ParallelSplitStats): its name in the
// manifest, where it is "<split>_<name>", and the member that holds it.
template <class Stats>
using SplitCounter = std::pair<const char*, int64_t Stats::*>;

// The counters of every split, split by split.
template <class Stats, size_t N, size_t K>
ManifestCounters split_counters(std::array<Stats, N>& splits, const std::array<const char*, N>& split_names,
                                const std::array<SplitCounter<Stats>, K>& counters) {
  ManifestCounters out;
  for (size_t s = 0; s < N; ++s)
    for (const auto& [name, member] : counters)
      out.emplace_back(std::string(split_names[s]) + "_" + name, &(splits[s].*member));
  return out;
}

// Each counter summed over the splits.
template <class Stats, size_t N, size_t K>
Stats sum_splits(const std::array<Stats, N>& splits, const std::array<SplitCounter<Stats>, K>& counters) {
  Stats total;
  for (const Stats& s : splits)
    for (const auto& [name, member] : counters) total.*member += s.*member;
  return total;
}

// True when each split's `<split><ext>` file has the size in its `bytes` and its
// `<split>.ref` file exists: the files of a complete preparation.
template <class Stats, size_t N>
bool split_files_complete(const std::string& dir, const std::array<Stats, N>& splits,
                          const std::array<const char*, N>& split_names, const std::string& ext) {
  for (size_t s = 0; s < N; ++s) {
    const std::filesystem::path base = std::filesystem::path(dir) / split_names[s];
    if (!file_has_size(base.string() + ext, splits[s].bytes) || !std::filesystem::exists(base.string() + ".ref"))
      return false;
  }
  return true;
}

// The start every preparation shares: `ds` (a Prepared*Dataset) names its folder,
// data_dir/name, and unless `force` takes an earlier complete preparation from it
// (load_cached(dir, ds) decides). True when it did: then ds.cached is set; otherwise ds
// holds its name and folder and nothing else (no counts of a manifest read halfway).
template <class Prepared, class LoadCached>
bool reuse_preparation(Prepared& ds, const std::string& name, const std::string& data_dir, bool force,
                       LoadCached load_cached) {
  auto fresh = [&] {
    ds = Prepared{};
    ds.name = name;
    ds.dir = (std::filesystem::path(data_dir) / name).string();
  };
  fresh();
  ds.cached = !force && load_cached(ds.dir, ds);
  if (!ds.cached) fresh();
  return ds.cached;
}

// A dataset's corpus (Corpus, ParallelCorpus): prepare() prepares its folder or reuses
// it, load(dir) reads the folder; the corpus's origin, for messages, says which
// ("DIR (cached)", "DIR (prepared now)").
template <class Prepare, class Load>
auto load_prepared(Prepare prepare, Load load) {
  const auto ds = prepare();
  auto corpus = load(ds.dir);
  corpus.origin = ds.dir + (ds.cached ? " (cached)" : " (prepared now)");
  return corpus;
}

struct NamedText {
  std::string file;  // a name inside the folder ("train.txt")
  std::string text;
};

// Replaces data_dir/name with a folder holding `files` and, written last, manifest.txt
// (`manifest`); the folder is written aside and renamed into place. Returns its path.
std::string write_dataset_folder(const std::string& data_dir, const std::string& name,
                                 const std::vector<NamedText>& files, const std::string& manifest);

}  // namespace qkv::data
