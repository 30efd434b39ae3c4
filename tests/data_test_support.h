// Helpers for the data tests: a fresh folder for a test's files, a text's lines, and
// whether SWORD's mod2imp is installed (the real corpora need it).
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qkv::testing {

// Removed when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("qkv-test-data-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` (bytes as given) to path/name; returns the file's path.
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream((path / name).string(), std::ios::binary) << content;
    return (path / name).string();
  }
};

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline bool have_mod2imp() { return std::system("command -v mod2imp >/dev/null 2>&1") == 0; }

}  // namespace qkv::testing
