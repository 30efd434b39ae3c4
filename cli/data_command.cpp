// qkv data NAME [--out DIR] [--force]: prepares a Bible corpus (kjv, web, sparv) or a
// translation corpus of verse pairs (kjv-es, web-es, kjv-web) from Debian's SWORD packages
// (docs/design.md section 7) into DIR/NAME, or reuses the one already there.
#include <fmt/core.h>

#include <chrono>

#include "base/error.h"
#include "cli/commands.h"
#include "data/bible.h"
#include "data/parallel_dataset.h"

namespace qkv::cli {

namespace {
struct DataArgs {
  std::string name, out;
  bool force = false;
};

void print_preparation(const std::string& dir, bool cached, double seconds, const char* what) {
  if (cached)
    fmt::print("{} is already prepared: reusing it (--force prepares it again)\n", dir);
  else
    fmt::print("prepared {} in {:.1f} s: {}, split by book (see {}/README.md)\n", dir, seconds, what, dir);
}

void print_stats(const data::PreparedDataset& ds) {
  fmt::print("{:<6} {:>6} {:>8} {:>11}\n", "split", "books", "verses", "characters");
  auto row = [](const char* split, const data::SplitStats& s) {
    fmt::print("{:<6} {:>6} {:>8} {:>11}\n", split, s.books, s.verses, s.chars);
  };
  for (size_t i = 0; i < ds.splits.size(); ++i) row(data::kSplitNames[i], ds.splits[i]);
  row("total", ds.total());
  fmt::print("{} distinct characters (newline included)\n", ds.distinct_chars);
}

void print_stats(const data::PreparedParallelDataset& ds, const data::ParallelDatasetInfo& d) {
  fmt::print("{:<6} {:>6} {:>8} {:>14} {:>14}\n", "split", "books", "pairs", "source chars", "target chars");
  auto row = [](const char* split, const data::ParallelSplitStats& s) {
    fmt::print("{:<6} {:>6} {:>8} {:>14} {:>14}\n", split, s.books, s.pairs, s.src_chars, s.tgt_chars);
  };
  for (size_t i = 0; i < ds.splits.size(); ++i) row(data::kSplitNames[i], ds.splits[i]);
  row("total", ds.total());
  const data::PairFilterStats& f = ds.filter;
  fmt::print("paired by reference: {} (only in {}: {}, only in {}: {})\n", f.paired, d.source, f.source_only, d.target,
             f.target_only);
  fmt::print("check: {}\n", data::check_description(d));
  if (d.check != data::PairCheck::none) {
    std::string chapters;
    for (const std::string& c : f.dropped_chapters) chapters += (chapters.empty() ? ": " : ", ") + c;
    fmt::print("dropped {} pairs: {} low overlap, {} neighbour matches better, {} more in {} dropped chapters{}\n",
               f.dropped(), f.low_overlap, f.neighbour_better, f.chapter_dropped, f.dropped_chapters.size(), chapters);
    fmt::print("kept unchecked (no Strong's numbers on a side): {}\n", f.unchecked);
  }
  fmt::print("added words separated from a glued neighbour: {}; psalm titles put before the source verse: {}\n",
             ds.words_separated, ds.titles_added);
}

int run_data(const DataArgs& args) {
  std::string dir = args.out.empty() ? data::default_data_dir() : args.out;
  auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  if (const data::ParallelDatasetInfo* d = data::find_parallel_dataset(args.name)) {
    data::PreparedParallelDataset ds = data::prepare_parallel_dataset(args.name, dir, args.force);
    fmt::print("{}: {}; from {} and {}\n", d->name, d->description, d->source, d->target);
    print_preparation(ds.dir, ds.cached, seconds(), "one verse pair per line, source<TAB>target");
    print_stats(ds, *d);
    return 0;
  }
  const data::BibleModule* m = data::find_bible_module(args.name);
  if (!m) fail("data: unknown dataset '{}' (known: {}, {})", args.name, data::bible_names(), data::parallel_dataset_names());
  data::PreparedDataset ds = data::prepare_dataset(args.name, dir, args.force);
  fmt::print("{}: {}; SWORD module {} from package {}\n", m->name, m->description, m->module, m->package);
  print_preparation(ds.dir, ds.cached, seconds(), "one verse per line");
  print_stats(ds);
  return 0;
}
}  // namespace

Runner add_data_command(CLI::App& app) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* sub = app.add_subcommand(
      "data",
      "prepare a corpus from Debian packages: kjv, web, sparv (verses) or kjv-es, web-es, kjv-web (verse pairs)");
  sub->add_option("name", args->name,
                  "kjv (King James), web (modern English), sparv (Spanish Reina-Valera 1909); translation pairs: "
                  "kjv-es (English -> Spanish, the default), web-es (modern English -> Spanish), kjv-web "
                  "(old -> modern English)")
      ->required();
  sub->add_option("--out", args->out, "data folder (default: $QKV_DATA_DIR, else data-cache/)");
  sub->add_flag("--force", args->force, "prepare again even when a complete preparation is there");
  return [args] { return run_data(*args); };
}

}  // namespace qkv::cli
