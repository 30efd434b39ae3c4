// Reading and writing the UTF-8 text files corpora are made of. Errors are one line
// and name the file.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace qkv::data {

// The whole file, its bytes as they are; nullopt when it does not exist or cannot be
// opened (errno says why). The one place a file is read whole: each caller words its own
// nullopt error. Refused with an error that `what` begins ("config: /dev/zero is a
// character device; expected a regular file"): anything but a regular file (a directory,
// a device, a FIFO would be read forever or block), and a file over max_bytes.
std::optional<std::string> read_file(const std::string& path, std::string_view what,
                                     uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

// The whole file. Errors: missing or unreadable; not a regular file; not UTF-8 (names the
// byte offset of the first malformed byte). A leading UTF-8 byte order mark is dropped.
std::string read_text_file(const std::string& path);

void write_text_file(const std::string& path, const std::string& text);

}  // namespace qkv::data
