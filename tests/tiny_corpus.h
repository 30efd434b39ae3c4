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

// DIR/pairs/{train,val}.tsv: a small made-up translation task (English -> Spanish
// numbers and nouns, each source word with one translation); returns the folder.
inline std::string write_pairs(const std::filesystem::path& dir) {
  const char* en[] = {"one", "two", "three", "four", "five", "six", "seven"};
  const char* es[] = {"uno", "dos", "tres", "cuatro", "cinco", "seis", "siete"};
  const char* en_noun[] = {"cat", "dog", "house", "bread", "water"};
  const char* es_noun[] = {"gato", "perro", "casa", "pan", "agua"};
  auto folder = dir / "pairs";
  std::filesystem::create_directories(folder);
  std::ofstream train(folder / "train.tsv"), val(folder / "val.tsv");
  for (int i = 0; i < 300; ++i) {
    const int a = i % 7, b = (i / 7) % 7, n = i % 5;
    (i % 10 == 9 ? val : train) << en[a] << " " << en_noun[n] << " and " << en[b] << "\t" << es[a] << " " << es_noun[n]
                                << " y " << es[b] << "\n";
  }
  return folder.string();
}

}  // namespace qkv::testing
