#include "data/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/bytes.h"
#include "base/error.h"
#include "data/utf8.h"

namespace qkv::data {
namespace fs = std::filesystem;

namespace {

// What a path that is not a regular file is, for the error.
const char* file_kind(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return "a directory";
    case fs::file_type::character: return "a character device";
    case fs::file_type::block: return "a block device";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

}  // namespace

std::optional<std::string> read_file(const std::string& path, std::string_view what, uint64_t max_bytes) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);  // follows links: a link to a file is the file
  if (ec) {
    errno = ec.value();
    return std::nullopt;
  }
  if (st.type() == fs::file_type::not_found) {
    errno = ENOENT;
    return std::nullopt;
  }
  if (st.type() != fs::file_type::regular) fail("{}: {} is {}; expected a regular file", what, path, file_kind(st.type()));
  const uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > max_bytes)
    fail("{}: {} is {}; expected a file of at most {}", what, path, format_bytes(static_cast<double>(size)),
         format_bytes(static_cast<double>(max_bytes)));
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::string read_text_file(const std::string& path) {
  std::optional<std::string> bytes = read_file(path, "corpus");
  if (!bytes && errno == ENOENT) fail("corpus: no such file: {}", path);
  if (!bytes) fail("corpus: cannot read {}: {}", path, std::strerror(errno));
  std::string text = std::move(*bytes);
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string::npos)
    fail("corpus: {} is not UTF-8 text: byte 0x{:02X} at offset {} is not valid UTF-8", path,
         static_cast<unsigned char>(text[bad]), bad);
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  return text;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) fail("data: cannot write {}: {}", path, std::strerror(errno));
}

}  // namespace qkv::data
