#include "data/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "data/utf8.h"

namespace qkv::data {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail("corpus: no such file: {}", path);
  if (std::filesystem::is_directory(path, ec)) fail("corpus: {} is a directory, not a text file", path);
  std::optional<std::string> bytes = read_file(path);
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
