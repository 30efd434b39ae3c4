// Reading and writing the UTF-8 text files corpora are made of. Errors are one line
// and name the file.
#pragma once
#include <optional>
#include <string>

namespace qkv::data {

// The whole file, its bytes as they are; nullopt when it cannot be opened (errno says why).
// The one place a file is read whole: each caller words its own error.
std::optional<std::string> read_file(const std::string& path);

// The whole file. Errors: missing or unreadable; not UTF-8 (names the byte offset of the
// first malformed byte). A leading UTF-8 byte order mark is dropped.
std::string read_text_file(const std::string& path);

void write_text_file(const std::string& path, const std::string& text);

}  // namespace qkv::data
