// The training loop: batches -> forward -> loss -> backward -> clip -> optimizer step,
// with periodic evaluation, a progress line, metrics.csv, checkpoints (the last K and
// the best), exact resume, data parallelism over MPI ranks (rank 0 writes), Ctrl-C that saves and stops, and a NaN/inf loss that stops
// with an error naming the step.
#pragma once
#include <limits>
#include <string>

#include "config/config.h"
#include "dist/communicator.h"

namespace qkv {

struct TrainOptions {
  RunConfig config;
  bool resume = false;       // continue from the newest checkpoint in config.train.out
  std::string data_dir;      // where `qkv data` caches corpora ("" = the default)
  bool progress = true;      // print the progress line and the summary
  bool profile = false;      // time every step by op family; the table is in TrainResult
  // Start over in an output folder that holds a run: its run files are deleted (once the
  // config is validated and the model built). Without it (or resume) such a folder is refused.
  bool overwrite = false;
  // The ranks that train this run together, data-parallel (docs/design.md section 10);
  // null: every rank of the job (Communicator::world(), one rank without mpirun).
  dist::Communicator* comm = nullptr;
};

struct TrainResult {
  int64_t steps = 0;  // the step reached
  double last_train_loss = std::numeric_limits<double>::quiet_NaN();
  double last_val_loss = std::numeric_limits<double>::quiet_NaN();
  double best_val_loss = std::numeric_limits<double>::infinity();
  double wall_s = 0;        // this invocation's wall time
  double tokens_per_s = 0;  // training tokens over training time (evaluation excluded)
  std::string last_checkpoint;
  bool interrupted = false;  // stopped by Ctrl-C (SIGINT) or request_stop()
  std::string profile;       // with TrainOptions::profile: the per-family table
  double train_s = 0;       // this invocation's training time (evaluation excluded)
  int ranks = 1;
  double allreduce_wait_s = 0;  // the gradient allreduce time backward did not hide
};

TrainResult train(const TrainOptions& options);

// Asks a running train() to save a checkpoint and return at the next step boundary
// (what SIGINT does). Safe to call from a signal handler.
void request_stop();

}  // namespace qkv
