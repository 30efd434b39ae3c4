#include "data/parallel_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/error.h"
#include "data/dataset_folder.h"
#include "data/utf8.h"
#include "data/verse_alignment.h"

namespace qkv::data {

namespace {

// Bump when the preparation changes what it writes: older folders are then prepared again.
constexpr int kFormatVersion = 1;

const BibleModule& bible_module(const std::string& name) {
  const BibleModule* m = find_bible_module(name);
  QKV_CHECK(m != nullptr, "data: no Bible module named '{}'", name);
  return *m;
}

// The modules one preparation reads, each read once (web-es needs kjv for its check).
class ModuleReader {
 public:
  explicit ModuleReader(std::string mod2imp) : mod2imp_(std::move(mod2imp)) {}
  const std::vector<Verse>& verses(const std::string& name) {
    auto it = read_.find(name);
    if (it == read_.end()) it = read_.emplace(name, read_sword_module(bible_module(name), mod2imp_)).first;
    return it->second;
  }

 private:
  std::string mod2imp_;
  std::map<std::string, std::vector<Verse>> read_;
};

// The verse pairs of `d` with their verdicts.
VerseAlignment align(const ParallelDatasetInfo& d, ModuleReader& modules) {
  const std::vector<Verse>& src = modules.verses(d.source);
  const std::vector<Verse>& tgt = modules.verses(d.target);
  VerseAlignment a = pair_by_reference(src, tgt);
  if (d.check == PairCheck::strongs) check_strongs(a, src, tgt);
  if (d.check == PairCheck::borrowed) {
    const ParallelDatasetInfo* by = find_parallel_dataset(d.checked_by);
    QKV_CHECK(by != nullptr && by->check != PairCheck::borrowed, "data {}: cannot borrow the check of '{}'", d.name,
          d.checked_by);
    copy_verdicts(a, src, align(*by, modules), modules.verses(by->source));
  }
  return a;
}

// A module that never marks a title prints its titles inline (RV1909).
bool marks_titles(const std::vector<Verse>& verses) {
  return std::any_of(verses.begin(), verses.end(), [](const Verse& v) { return !v.title.empty(); });
}

// One TSV field: a tab or line break inside it would split the pair.
std::string tsv_field(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return text;
}

PairFilterStats filter_stats(const VerseAlignment& a) {
  PairFilterStats f;
  f.paired = static_cast<int64_t>(a.pairs.size());
  f.source_only = a.source_only;
  f.target_only = a.target_only;
  f.unchecked = a.count(PairVerdict::unchecked);
  f.low_overlap = a.count(PairVerdict::low_overlap);
  f.neighbour_better = a.count(PairVerdict::neighbour_better);
  f.chapter_dropped = a.count(PairVerdict::chapter_dropped);
  f.dropped_chapters = a.dropped_chapters;
  return f;
}

// A split's counts, as the manifest records them ("train_pairs") and total() sums them.
constexpr std::array<SplitCounter<ParallelSplitStats>, 5> kSplitCounters = {{{"books", &ParallelSplitStats::books},
                                                                            {"pairs", &ParallelSplitStats::pairs},
                                                                            {"src_chars", &ParallelSplitStats::src_chars},
                                                                            {"tgt_chars", &ParallelSplitStats::tgt_chars},
                                                                            {"bytes", &ParallelSplitStats::bytes}}};

// The manifest's numbers, written and read back through this one list.
ManifestCounters manifest_counters(PreparedParallelDataset& ds) {
  ManifestCounters c = split_counters(ds.splits, kSplitNames, kSplitCounters);
  PairFilterStats& f = ds.filter;
  c.insert(c.end(), {{"paired", &f.paired},
                     {"source_only", &f.source_only},
                     {"target_only", &f.target_only},
                     {"unchecked", &f.unchecked},
                     {"low_overlap", &f.low_overlap},
                     {"neighbour_better", &f.neighbour_better},
                     {"chapter_dropped", &f.chapter_dropped},
                     {"words_separated", &ds.words_separated},
                     {"titles_added", &ds.titles_added}});
  return c;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string s;
  for (const std::string& item : items) s += (s.empty() ? "" : std::string(sep)) + item;
  return s;
}

std::vector<std::string> split_list(const std::string& s, std::string_view sep) {
  std::vector<std::string> items;
  for (size_t pos = 0; !s.empty() && pos <= s.size();) {
    size_t end = std::min(s.find(sep, pos), s.size());
    items.push_back(s.substr(pos, end - pos));
    pos = end + sep.size();
  }
  return items;
}

// The earlier preparation in `dir`, when its manifest is current and every file has the
// size the manifest recorded.
bool load_cached(const std::string& dir, PreparedParallelDataset& ds) {
  Manifest kv = read_manifest(dir);
  if (manifest_int(kv, "format") != kFormatVersion || !read_counters(kv, manifest_counters(ds)) ||
      !split_files_complete(dir, ds.splits, kSplitNames, ".tsv"))
    return false;
  ds.filter.dropped_chapters = split_list(kv["dropped_chapters"], ", ");
  return true;
}

std::string manifest_text(const ParallelDatasetInfo& d, PreparedParallelDataset ds) {
  const BibleModule& src = bible_module(d.source);
  const BibleModule& tgt = bible_module(d.target);
  std::string s = "# qkv dataset manifest, written last: the preparation below is complete.\n";
  s += fmt::format("format = {}\nname = {}\n", kFormatVersion, d.name);
  s += fmt::format("source = {} ({}, {})\ntarget = {} ({}, {})\n", src.name, src.module, src.package, tgt.name,
                   tgt.module, tgt.package);
  s += fmt::format("check = {}\nsplit = by book; {}\n", check_description(d), book_split_description());
  s += manifest_lines(manifest_counters(ds));
  s += fmt::format("dropped_chapters = {}\n", join(ds.filter.dropped_chapters, ", "));
  return s;
}

std::string readme_text(const ParallelDatasetInfo& d, const PreparedParallelDataset& ds) {
  const BibleModule& src = bible_module(d.source);
  const BibleModule& tgt = bible_module(d.target);
  const PairFilterStats& f = ds.filter;
  std::string s = fmt::format("# {}: {}\n\n", d.name, d.description);
  s += fmt::format(
      "Prepared by `qkv data {}` from the SWORD modules {} (source; Debian package {}) and {} (target; {}), whose "
      "texts are in the public domain. The OSIS markup was stripped as for `qkv data {}` and `qkv data {}`. "
      "{{train,val,test}}.tsv hold one verse pair per line, source<TAB>target; {{train,val,test}}.ref give each "
      "line's reference.\n\n",
      d.name, src.module, src.package, tgt.module, tgt.package, src.name, tgt.name);
  s += module_notice(src) + module_notice(tgt);
  s += fmt::format(
      "Verses are paired by reference: {} references are in both modules ({} only in {}, {} only in {}).\n\n", f.paired,
      f.source_only, src.name, f.target_only, tgt.name);
  s += fmt::format("Check: {}.", check_description(d));
  if (d.check != PairCheck::none)
    s += fmt::format(
        " Dropped {} pairs: {} with a low overlap, {} whose neighbour matches better and {} more in the dropped "
        "chapters ({}); dropped.tsv lists them. Kept unchecked (no Strong's numbers on a side): {}.",
        f.dropped(), f.low_overlap, f.neighbour_better, f.chapter_dropped, join(f.dropped_chapters, ", "), f.unchecked);
  s += "\n\n";
  if (ds.titles_added > 0)
    s += fmt::format("{} prints psalm titles inline in verse 1: {} titles were put in front of the {} verse.\n\n",
                     tgt.name, ds.titles_added, src.name);
  s += fmt::format("Split by book, as the monolingual datasets: {}.\n\n", book_split_description());
  s += "| split | books | pairs | source characters | target characters |\n|---|---:|---:|---:|---:|\n";
  for (size_t i = 0; i < kSplitNames.size(); ++i) {
    const ParallelSplitStats& st = ds.splits[i];
    s += fmt::format("| {} | {} | {} | {} | {} |\n", kSplitNames[i], st.books, st.pairs, st.src_chars, st.tgt_chars);
  }
  return s;
}

}  // namespace

const std::vector<ParallelDatasetInfo>& parallel_datasets() {
  static const std::vector<ParallelDatasetInfo> datasets = {
      {"kjv-es", "kjv", "sparv", "English (King James Version) -> Spanish (Reina-Valera 1909), verse-aligned",
       PairCheck::strongs, ""},
      {"web-es", "web", "sparv", "modern English (from the WEB module) -> Spanish (Reina-Valera 1909), verse-aligned",
       PairCheck::borrowed, "kjv-es"},
      {"kjv-web", "kjv", "web",
       "old English (King James Version) -> modern English (from the WEB module), verse-aligned", PairCheck::none, ""},
  };
  return datasets;
}

const ParallelDatasetInfo* find_parallel_dataset(std::string_view name) {
  for (const ParallelDatasetInfo& d : parallel_datasets())
    if (d.name == name) return &d;
  return nullptr;
}

bool is_parallel_dataset(std::string_view name) { return find_parallel_dataset(name) != nullptr; }

ParallelSplitStats PreparedParallelDataset::total() const { return sum_splits(splits, kSplitCounters); }

std::string parallel_dataset_names() {
  std::vector<std::string> known;
  for (const ParallelDatasetInfo& p : parallel_datasets()) known.push_back(p.name);
  return join(known, ", ");
}

std::string check_description(const ParallelDatasetInfo& d) {
  switch (d.check) {
    case PairCheck::strongs:
      return "Strong's numbers; a pair is dropped when the distinct numbers the two verses share are under half of "
             "the smaller verse's, or when a neighbouring verse matches better; a chapter with 3 or more such pairs "
             "is dropped whole";
    case PairCheck::borrowed:
      return fmt::format(
          "{0}'s verdicts: a pair is dropped where {0} drops the pair at the same reference (the source shares "
          "its verse numbering; its own Strong's numbers follow the Hebrew numbering)",
          d.checked_by);
    case PairCheck::none:
      return "none, paired by reference only (both modules number verses alike; WEB's Strong's numbers follow the "
             "Hebrew numbering, so they cannot check the pairs)";
  }
  return "";
}

PreparedParallelDataset prepare_parallel_dataset(const std::string& name, const std::string& data_dir, bool force,
                                                 const std::string& mod2imp) {
  const ParallelDatasetInfo* d = find_parallel_dataset(name);
  if (!d) fail("data: unknown parallel dataset '{}' (known: {})", name, parallel_dataset_names());
  PreparedParallelDataset ds;
  if (reuse_preparation(ds, name, data_dir, force, load_cached)) return ds;

  ModuleReader modules(mod2imp);
  VerseAlignment alignment = align(*d, modules);
  const std::vector<Verse>& src = modules.verses(d->source);
  const std::vector<Verse>& tgt = modules.verses(d->target);
  bool add_titles = !marks_titles(tgt);
  ds.filter = filter_stats(alignment);

  std::array<std::string, 3> tsv, refs;
  std::array<std::set<std::string>, 3> books;
  std::string dropped = "reference\tverdict\toverlap\tsource\ttarget\n";
  for (const VersePair& p : alignment.pairs) {
    const Verse& s = src[p.src];
    const Verse& t = tgt[p.tgt];
    if (!p.kept()) {
      dropped += fmt::format("{}\t{}\t{:.2f}\t{}\t{}\n", reference(s), verdict_name(p.verdict), p.overlap,
                             tsv_field(s.text), tsv_field(t.text));
      continue;
    }
    std::string source = s.text;
    if (add_titles && !s.title.empty()) {
      source = s.title + " " + source;
      ++ds.titles_added;
    }
    auto split = static_cast<size_t>(book_split(s.book));
    ParallelSplitStats& st = ds.splits[split];
    ++st.pairs;
    st.src_chars += static_cast<int64_t>(count_code_points(source));
    st.tgt_chars += static_cast<int64_t>(count_code_points(t.text));
    ds.words_separated += s.words_separated + t.words_separated;
    tsv[split] += tsv_field(std::move(source)) + '\t' + tsv_field(t.text) + '\n';
    refs[split] += reference(s) + '\n';
    books[split].insert(s.book);
  }
  std::vector<NamedText> files;
  for (size_t s = 0; s < kSplitNames.size(); ++s) {
    ds.splits[s].books = static_cast<int64_t>(books[s].size());
    ds.splits[s].bytes = static_cast<int64_t>(tsv[s].size());
    QKV_CHECK(ds.splits[s].pairs > 0, "data {}: no verse pairs in the {} split", name, kSplitNames[s]);
    files.push_back({std::string(kSplitNames[s]) + ".tsv", std::move(tsv[s])});
    files.push_back({std::string(kSplitNames[s]) + ".ref", std::move(refs[s])});
  }
  if (d->check != PairCheck::none) files.push_back({"dropped.tsv", std::move(dropped)});
  files.push_back({"README.md", readme_text(*d, ds)});
  write_dataset_folder(data_dir, name, files, manifest_text(*d, ds));
  return ds;
}

}  // namespace qkv::data
