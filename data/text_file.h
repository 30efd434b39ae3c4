// Reading and writing the UTF-8 text files corpora are made of. Errors are one line
// and name the file.
#pragma once
#include <string>

namespace qkv::data {

// The whole file. Errors: missing or unreadable; not UTF-8 (names the byte offset of the
// first malformed byte). A leading UTF-8 byte order mark is dropped.
std::string read_text_file(const std::string& path);

void write_text_file(const std::string& path, const std::string& text);

}  // namespace qkv::data
