#include "io/checkpoint_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <regex>

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

}  // namespace qkv
