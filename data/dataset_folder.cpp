#include "data/dataset_folder.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "data/text_file.h"

namespace qkv::data {
namespace fs = std::filesystem;

namespace {
constexpr const char* kManifestFile = "manifest.txt";
}  // namespace

Manifest read_manifest(const std::string& dir) {
  Manifest kv;
  std::ifstream in(fs::path(dir) / kManifestFile);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find(" = ");
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    kv[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return kv;
}

int64_t manifest_int(const Manifest& manifest, const std::string& key) {
  auto it = manifest.find(key);
  if (it == manifest.end()) return -1;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return -1;
  }
}

bool file_has_size(const std::string& path, int64_t bytes) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return !ec && static_cast<int64_t>(size) == bytes;
}

std::string manifest_lines(const ManifestCounters& counters) {
  std::string s;
  for (const auto& [key, value] : counters) s += fmt::format("{} = {}\n", key, *value);
  return s;
}

bool read_counters(const Manifest& manifest, const ManifestCounters& counters) {
  for (const auto& [key, value] : counters)
    if ((*value = manifest_int(manifest, key)) < 0) return false;
  return true;
}

std::string write_dataset_folder(const std::string& data_dir, const std::string& name,
                                 const std::vector<NamedText>& files, const std::string& manifest) {
  fs::path dir = fs::path(data_dir) / name;
  fs::path partial = fs::path(data_dir) / fmt::format(".{}.partial-{}", name, getpid());
  std::error_code ec;
  fs::remove_all(partial, ec);
  fs::create_directories(partial, ec);
  if (ec) fail("data {}: cannot create {}: {}", name, partial.string(), ec.message());
  for (const NamedText& f : files) write_text_file((partial / f.file).string(), f.text);
  write_text_file((partial / kManifestFile).string(), manifest);
  fs::remove_all(dir, ec);
  fs::rename(partial, dir, ec);
  if (ec) fail("data {}: cannot move {} to {}: {}", name, partial.string(), dir.string(), ec.message());
  return dir.string();
}

}  // namespace qkv::data
