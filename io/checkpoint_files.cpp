#include "io/checkpoint_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>

#include "base/error.h"

namespace qkv {
namespace fs = std::filesystem;

std::string checkpoint_path(const std::string& out_dir, int64_t step) {
  return (fs::path(out_dir) / fmt::format("ckpt-{:06d}.h5", step)).string();
}

std::vector<std::pair<int64_t, std::string>> step_checkpoints(const std::string& out_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  if (!fs::is_directory(out_dir)) return found;
  const std::regex pattern(R"(ckpt-(\d+)\.h5)");
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, pattern)) found.emplace_back(std::stoll(m[1]), entry.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string newest_checkpoint(const std::string& out_dir) {
  auto found = step_checkpoints(out_dir);
  return found.empty() ? "" : found.back().second;
}

void prune_checkpoints(const std::string& out_dir, int64_t keep) {
  auto found = step_checkpoints(out_dir);
  for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(keep, 1)) < found.size(); ++i)
    fs::remove(found[i].second);
}

std::vector<std::string> remove_stale_temporaries(const std::string& out_dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(out_dir, ec)) return removed;
  for (fs::directory_iterator it(out_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code type_ec, remove_ec;
    if (!path.filename().string().ends_with(".h5.tmp") || !it->is_regular_file(type_ec)) continue;
    if (!fs::remove(path, remove_ec) && remove_ec)
      fail("checkpoint: cannot remove the leftover {}: {}", path.string(), remove_ec.message());
    removed.push_back(path.string());
  }
  if (ec) fail("checkpoint: cannot list {}: {}", out_dir, ec.message());
  std::sort(removed.begin(), removed.end());
  return removed;
}

void sync_to_disk(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // a folder opens read-only too
  if (fd < 0) fail("checkpoint: cannot open {} to flush it to disk: {}", path, std::strerror(errno));
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) fail("checkpoint: cannot flush {} to disk: {}", path, std::strerror(error));
}

}  // namespace qkv
