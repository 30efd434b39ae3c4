// Checkpoint files inside a run's output folder: how a step's file is named
// (DIR/ckpt-000500.h5), which step files a folder holds, the newest one, pruning to the
// last K, the NAME.h5.tmp leftovers of a killed save, and fsync of a file or a folder.
// The one place that knows the ckpt-N.h5 pattern (docs/design.md section 6).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qkv {

// The checkpoint file of a step inside an output folder: DIR/ckpt-000500.h5.
std::string checkpoint_path(const std::string& out_dir, int64_t step);

// Every ckpt-N.h5 in DIR as (step, path), by step ascending; empty when DIR is missing.
std::vector<std::pair<int64_t, std::string>> step_checkpoints(const std::string& out_dir);

// The newest step checkpoint in DIR, or "" when there is none.
std::string newest_checkpoint(const std::string& out_dir);

// Deletes all but the newest `keep` step checkpoints (at least one is kept).
void prune_checkpoints(const std::string& out_dir, int64_t keep);

// Deletes every *.h5.tmp in DIR (what a run killed while saving leaves behind) and returns
// their paths, for a notice; empty when DIR is missing. For the trainer, before it starts.
std::vector<std::string> remove_stale_temporaries(const std::string& out_dir);

// fsync of a file, or of a folder (which makes a rename inside it survive a power loss).
// Throws naming the path and the OS reason.
void sync_to_disk(const std::string& path);

}  // namespace qkv
