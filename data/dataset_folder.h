// A prepared dataset's folder (DATA_DIR/NAME), shared by every `qkv data` preparation.
//
// The folder is written whole into a side folder and renamed into place, so an interrupted
// run leaves no half-written dataset behind. manifest.txt is written last and records what
// the preparation produced ("key = value" lines, '#' starts a comment); a folder whose
// manifest is current and whose files have the sizes it recorded is complete and reused.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qkv::data {

using Manifest = std::map<std::string, std::string>;

// dir/manifest.txt; empty when there is none.
Manifest read_manifest(const std::string& dir);

// The value of `key` as an integer; -1 when absent or not a number.
int64_t manifest_int(const Manifest& manifest, const std::string& key);

// True when `path` is a file of exactly `bytes` bytes.
bool file_has_size(const std::string& path, int64_t bytes);

struct NamedText {
  std::string file;  // a name inside the folder ("train.txt")
  std::string text;
};

// Replaces data_dir/name with a folder holding `files` and, written last, manifest.txt
// (`manifest`); the folder is written aside and renamed into place. Returns its path.
std::string write_dataset_folder(const std::string& data_dir, const std::string& name,
                                 const std::vector<NamedText>& files, const std::string& manifest);

}  // namespace qkv::data
