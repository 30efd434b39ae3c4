// A training run's output folder: which of its files belong to a run (so a new run never
// silently replaces an old one), clearing them for an explicit --overwrite, and the lock
// that makes one process the folder's only writer (docs/design.md section 6).
#pragma once
#include <string>
#include <vector>

namespace qkv {

// The run files in DIR (step checkpoints, best.h5, metrics.csv, loss.png), by name;
// empty when DIR is missing or holds none of them.
std::vector<std::string> run_files(const std::string& dir);

// Removes every run file in DIR (what --overwrite means); other files are left alone.
void remove_run_files(const std::string& dir);

// An exclusive flock(2) on DIR/.qkv.lock, held until destruction (or until the process
// dies: the kernel drops it, so a killed run never leaves the folder locked). DIR is
// created when missing. The lock file holds the holder's pid, so a second process can
// say who holds it. Fails with one line naming DIR and the holder.
class RunFolderLock {
 public:
  explicit RunFolderLock(const std::string& dir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace qkv
