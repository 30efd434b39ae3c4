#include "io/output_folder.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/error.h"

namespace qkv {

void create_output_folder(const std::string& path, std::string_view command) {
  namespace fs = std::filesystem;
  QKV_CHECK(!path.empty(), "{}: the output folder is an empty path; expected a folder", command);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  QKV_CHECK(!fs::exists(st) || fs::is_directory(st), "{}: the output folder {} is a file; expected a folder", command, path);
  fs::create_directories(path, ec);
  if (ec) fail("{}: cannot create output folder {}: {}", command, path, ec.message());
  // An existing folder may still refuse files (read-only); say so before the work.
  if (access(path.c_str(), W_OK | X_OK) != 0)
    fail("{}: cannot write into output folder {}: {}", command, path, std::strerror(errno));
}

}  // namespace qkv
