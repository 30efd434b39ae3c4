#include "io/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>

#include "base/error.h"
#include "io/checkpoint_files.h"
#include "io/output_folder.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {
// The files train() writes besides the step checkpoints.
constexpr const char* kRunFileNames[] = {"best.h5", "metrics.csv", "loss.png"};
constexpr const char* kLockName = ".qkv.lock";

std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}
}  // namespace

std::vector<std::string> run_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& [step, path] : step_checkpoints(dir)) found.push_back(fs::path(path).filename().string());
  std::error_code ec;
  for (const char* name : kRunFileNames)
    if (fs::exists(fs::path(dir) / name, ec)) found.emplace_back(name);
  return found;
}

void remove_run_files(const std::string& dir) {
  for (const std::string& name : run_files(dir)) {
    std::error_code ec;
    fs::remove(fs::path(dir) / name, ec);
    QKV_CHECK(!ec, "train: --overwrite: cannot remove {}: {}", (fs::path(dir) / name).string(), ec.message());
  }
}

RunFolderLock::RunFolderLock(const std::string& dir) {
  create_output_folder(dir, "train");
  const std::string path = (fs::path(dir) / kLockName).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  QKV_CHECK(fd_ >= 0, "train: cannot open the lock file {}: {}", path, std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = holder_pid(fd_);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      fail("train: the output folder {} is in use by another qkv process (pid {}); wait for it to finish or choose "
           "another --out",
           dir, holder);
    fail("train: cannot lock {}: {}", path, std::strerror(err));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  // The pid only serves the message above: a failed write costs nothing else.
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace qkv
