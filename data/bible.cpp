#include "data/bible.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "base/error.h"
#include "data/dataset_folder.h"
#include "data/utf8.h"

namespace qkv::data {

namespace {

// Bump when the preparation changes what it writes: older folders are then prepared again.
constexpr int kFormatVersion = 1;

const char* const kValBooks[] = {"Joshua", "Lamentations", "Jonah", "Mark", "Titus"};
const char* const kTestBooks[] = {"Judges", "Joel", "John"};

struct ProgramOutput {
  std::string out;
  int status = -1;  // exit code; 127 when the shell could not find the program
};

ProgramOutput run_program(const std::string& command) {
  ProgramOutput r;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) fail("data: could not run `{}`", command);
  char buf[1 << 16];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A split's counts, as the manifest records them ("train_verses") and total() sums them.
constexpr std::array<SplitCounter<SplitStats>, 4> kSplitCounters = {{{"books", &SplitStats::books},
                                                                    {"verses", &SplitStats::verses},
                                                                    {"chars", &SplitStats::chars},
                                                                    {"bytes", &SplitStats::bytes}}};

// The earlier preparation in `dir`, when its manifest is current and every file has the
// size the manifest recorded.
bool load_cached(const std::string& dir, PreparedDataset& ds) {
  Manifest kv = read_manifest(dir);
  if (manifest_int(kv, "format") != kFormatVersion ||
      !read_counters(kv, split_counters(ds.splits, kSplitNames, kSplitCounters)) ||
      !split_files_complete(dir, ds.splits, kSplitNames, ".txt"))
    return false;
  ds.distinct_chars = manifest_int(kv, "distinct_chars");
  return ds.distinct_chars > 0;
}

std::string split_summary(const PreparedDataset& ds) {
  std::string s = fmt::format("| split | books | verses | characters |\n|---|---:|---:|---:|\n");
  for (size_t i = 0; i < kSplitNames.size(); ++i)
    s += fmt::format("| {} | {} | {} | {} |\n", kSplitNames[i], ds.splits[i].books, ds.splits[i].verses,
                     ds.splits[i].chars);
  return s;
}

std::string readme_text(const BibleModule& m, const PreparedDataset& ds) {
  std::string s = fmt::format("# {}: {}\n\n", m.name, m.description);
  s += fmt::format(
      "Prepared by `qkv data {}` from the SWORD module {} (Debian package {}), whose text is in the public domain.\n"
      "The OSIS markup was stripped (notes, titles, speaker labels, milestones and pilcrows removed; the words kept)\n"
      "and each verse is one line; {{train,val,test}}.ref give each line's reference.\n\n",
      m.name, m.module, m.package);
  s += module_notice(m);
  s += fmt::format("Split by book, the same for every module: {}.\n\n", book_split_description());
  s += split_summary(ds);
  s += fmt::format("\n{} distinct characters (newline included).\n", ds.distinct_chars);
  return s;
}

std::string manifest_text(const BibleModule& m, PreparedDataset ds) {
  std::string s = "# qkv dataset manifest, written last: the preparation below is complete.\n";
  s += fmt::format("format = {}\nname = {}\nmodule = {}\npackage = {}\n", kFormatVersion, m.name, m.module, m.package);
  s += fmt::format("split = by book; {}\n", book_split_description());
  s += manifest_lines(split_counters(ds.splits, kSplitNames, kSplitCounters));
  s += fmt::format("distinct_chars = {}\n", ds.distinct_chars);
  return s;
}

}  // namespace

const std::vector<BibleModule>& bible_modules() {
  static const std::vector<BibleModule> modules = {
      {"kjv", "engKJV2006eb", "sword-text-kjv", "King James Version, English, 1769 text"},
      {"web", "engWEB2015eb", "sword-text-web",
       "modern English from the World English Bible module, deuterocanonical books included"},
      {"sparv", "spaRV1909eb", "sword-text-sparv", "Reina-Valera 1909, Spanish"},
  };
  return modules;
}

const BibleModule* find_bible_module(std::string_view name) {
  for (const BibleModule& m : bible_modules())
    if (m.name == name) return &m;
  return nullptr;
}

Split book_split(std::string_view book) {
  for (const char* b : kValBooks)
    if (book == b) return Split::val;
  for (const char* b : kTestBooks)
    if (book == b) return Split::test;
  return Split::train;
}

std::string book_split_description() {
  auto list = [](const auto& books) {
    std::string s;
    for (const char* b : books) s += (s.empty() ? "" : ", ") + std::string(b);
    return s;
  };
  return fmt::format("val = {}; test = {}; train = every other book", list(kValBooks), list(kTestBooks));
}

std::string module_notice(const BibleModule& m) {
  if (m.name != "web") return "";
  return "\"World English Bible\" is a trademark: this modified text (markup, notes and the glossary removed) is not\n"
         "the World English Bible and must not be called by that name.\n\n";
}

std::vector<Verse> read_sword_module(const BibleModule& m, const std::string& mod2imp) {
  ProgramOutput r = run_program(fmt::format("{} {} 2>/dev/null", mod2imp, m.module));
  if (r.status == 127)
    fail("data {}: `{}` not found; install it: apt-get install libsword-utils {}", m.name, mod2imp, m.package);
  std::vector<Verse> verses = parse_imp(r.out);
  if (r.status != 0 || verses.empty())
    fail("data {}: SWORD module {} is not installed; install it: apt-get install {}", m.name, m.module, m.package);
  return verses;
}

SplitStats PreparedDataset::total() const { return sum_splits(splits, kSplitCounters); }

std::string bible_names() {
  std::string known;
  for (const BibleModule& b : bible_modules()) known += (known.empty() ? "" : ", ") + b.name;
  return known;
}

std::string default_data_dir() {
  const char* env = std::getenv("QKV_DATA_DIR");
  return env && *env ? env : "data-cache";
}

PreparedDataset prepare_dataset(const std::string& name, const std::string& data_dir, bool force,
                                const std::string& mod2imp) {
  const BibleModule* m = find_bible_module(name);
  if (!m) fail("data: unknown dataset '{}' (known: {})", name, bible_names());
  PreparedDataset ds;
  if (reuse_preparation(ds, name, data_dir, force, load_cached)) return ds;

  std::vector<Verse> verses = read_sword_module(*m, mod2imp);
  std::array<std::string, 3> text, refs;
  std::array<std::set<std::string>, 3> books;
  std::set<char32_t> chars = {U'\n'};
  for (const Verse& v : verses) {
    auto s = static_cast<size_t>(book_split(v.book));
    text[s] += v.text + '\n';
    refs[s] += reference(v) + '\n';
    books[s].insert(v.book);
    ++ds.splits[s].verses;
    for (size_t pos = 0; pos < v.text.size();) chars.insert(next_code_point(v.text, pos));
  }
  ds.distinct_chars = static_cast<int64_t>(chars.size());
  for (size_t s = 0; s < 3; ++s) {
    ds.splits[s].books = static_cast<int64_t>(books[s].size());
    ds.splits[s].chars = static_cast<int64_t>(count_code_points(text[s]));
    ds.splits[s].bytes = static_cast<int64_t>(text[s].size());
  }

  std::vector<NamedText> files;
  for (size_t s = 0; s < 3; ++s) {
    files.push_back({std::string(kSplitNames[s]) + ".txt", std::move(text[s])});
    files.push_back({std::string(kSplitNames[s]) + ".ref", std::move(refs[s])});
  }
  files.push_back({"README.md", readme_text(*m, ds)});
  write_dataset_folder(data_dir, name, files, manifest_text(*m, ds));
  return ds;
}

}  // namespace qkv::data
