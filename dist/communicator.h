// The ranks of a job and what they say to each other: MPI's collectives, narrowed to what
// qkv needs. Communicator::world() is every rank of an `mpirun`/`srun` job, or this process
// alone when it was started without a launcher or built without MPI (then every operation
// is a local no-op). Communicator::self() is always this process alone: what an ablation
// run uses when the job's ranks train different runs. All calls come from the thread that
// created the session (MPI_THREAD_FUNNELED); every rank must make the same collective calls
// in the same order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qkv::dist {

class Communicator {
 public:
  static Communicator& world();
  static Communicator& self();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  // Ranks of this communicator on this machine (they share its memory), this one included.
  int ranks_on_this_machine() const { return local_size_; }

  // In place: every rank ends with the element-wise sum (or min, max) over ranks.
  void sum(float* values, size_t n);
  void sum(double* values, size_t n);
  void min(int64_t* values, size_t n);
  void max(int64_t* values, size_t n);
  // Every rank's value, in rank order.
  std::vector<uint64_t> gather(uint64_t value);
  // `text` from rank `root` on every rank.
  void broadcast(std::string& text, int root = 0);
  void barrier();

  // A non-blocking in-place float sum. MPI moves it along only inside MPI calls, so the
  // caller polls progress() while it computes, then wait()s.
  void start_sum(float* values, size_t n);
  void progress();
  void wait_all();
  bool busy() const;

  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

 private:
  struct Impl;
  Communicator(int rank, int size, int local_size, std::unique_ptr<Impl> impl);
  int rank_, size_, local_size_;
  std::unique_ptr<Impl> impl_;
};

// Was this process started by an MPI launcher (mpirun, srun)? Read from the environment
// the launchers set, before MPI is initialised.
bool launched_by_mpi();

// Initialises MPI for the process's lifetime when a launcher started it (and finalises it
// at the end); otherwise does nothing. The one `qkv` binary thus runs alone or as a rank.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

// Stops every rank of the job with exit code `code` (MPI_Abort): what a failure on one rank
// must do, since the other ranks would wait for it forever. Returns normally when there is
// only one rank.
void abort_job(int code);

}  // namespace qkv::dist
