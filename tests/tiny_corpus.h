// Helpers for tests that train: a fresh temporary folder and a small corpus in it.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace qkv::testing {

// An empty folder under the system temp dir, unique to this process and name.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("qkv_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// DIR/corpus.txt: 400 lines with some structure to learn; returns its path.
inline std::string write_corpus(const std::filesystem::path& dir) {
  auto path = dir / "corpus.txt";
  std::ofstream out(path);
  for (int i = 0; i < 400; ++i) out << "the cat sat on the mat " << (i % 7) << " times.\n";
  return path.string();
}

}  // namespace qkv::testing
