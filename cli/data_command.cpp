// qkv data NAME [--out DIR] [--force]: prepares a Bible corpus from Debian's SWORD packages
// (DESIGN.md section 7) into DIR/NAME, or reuses the one already there.
#include <fmt/core.h>

#include <chrono>

#include "autograd/error.h"
#include "cli/commands.h"
#include "data/bible.h"

namespace qkv::cli {

namespace {
struct DataArgs {
  std::string name, out;
  bool force = false;
};

void print_stats(const data::PreparedDataset& ds) {
  fmt::print("{:<6} {:>6} {:>8} {:>11}\n", "split", "books", "verses", "characters");
  auto row = [](const char* split, const data::SplitStats& s) {
    fmt::print("{:<6} {:>6} {:>8} {:>11}\n", split, s.books, s.verses, s.chars);
  };
  for (size_t i = 0; i < ds.splits.size(); ++i) row(data::kSplitNames[i], ds.splits[i]);
  row("total", ds.total());
  fmt::print("{} distinct characters (newline included)\n", ds.distinct_chars);
}

int run_data(const DataArgs& args) {
  std::string dir = args.out.empty() ? data::default_data_dir() : args.out;
  auto start = std::chrono::steady_clock::now();
  data::PreparedDataset ds = data::prepare_dataset(args.name, dir, args.force);  // throws on an unknown name
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const data::BibleModule& m = *data::find_bible_module(args.name);
  fmt::print("{}: {}; SWORD module {} from package {}\n", m.name, m.description, m.module, m.package);
  if (ds.cached)
    fmt::print("{} is already prepared: reusing it (--force prepares it again)\n", ds.dir);
  else
    fmt::print("prepared {} in {:.1f} s: one verse per line, split by book (see {}/README.md)\n", ds.dir, seconds,
               ds.dir);
  print_stats(ds);
  return 0;
}
}  // namespace

Runner add_data_command(CLI::App& app) {
  auto args = std::make_shared<DataArgs>();
  CLI::App* sub = app.add_subcommand("data", "prepare a Bible corpus from Debian packages: kjv, web, sparv");
  sub->add_option("name", args->name, "kjv (King James), web (modern English) or sparv (Spanish Reina-Valera 1909)")
      ->required();
  sub->add_option("--out", args->out, "data folder (default: $QKV_DATA_DIR, else data-cache/)");
  sub->add_flag("--force", args->force, "prepare again even when a complete preparation is there");
  return [args] { return run_data(*args); };
}

}  // namespace qkv::cli
