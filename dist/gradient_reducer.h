// Gradient averaging for data-parallel training, overlapped with backward as PyTorch's
// DistributedDataParallel does it. The parameters are grouped into buckets of about
// train.bucket_mb (the first one a quarter of that, 1 MiB by default, as PyTorch's DDP
// starts with a small one so that communication begins early); as soon as backward has finished every
// gradient of a bucket, the bucket is copied into a flat buffer and its allreduce starts,
// while backward goes on with the earlier layers. Buckets start in the same order on every
// rank (MPI's rule for collectives): a finished bucket waits for the ones before it.
//
// When is a gradient finished? The tape does not know which entries will add to a
// parameter, so the reducer learns it: the first reduced backward counts each parameter's
// contributions and notes the order in which they finished (and reduces everything after
// backward); the buckets are then rebuilt in that order, and later steps start a bucket
// when its parameters have received their count. Every step runs the same graph, so the
// count holds; a parameter that gets more is an error rather than a silently wrong average.
//
// The sum is the average because each rank's loss is already weighted by its share of
// the global batch (train/trainer.cpp).
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "autograd/tape.h"
#include "autograd/tensor.h"
#include "dist/communicator.h"

namespace qkv::dist {

class GradientReducer : public BackwardObserver {
 public:
  // `params`: float32 parameters in the model's order; `names` for errors.
  GradientReducer(Communicator& comm, std::vector<Tensor> params, std::vector<std::string> names,
                  int64_t bucket_bytes);
  ~GradientReducer() override;

  // Around the backward that completes the step's gradients (the last micro-batch):
  // begin() installs the reducer as this thread's backward observer; end() starts the
  // buckets not yet started, waits for all of them, writes the sums back into the
  // gradients and removes the observer.
  void begin();
  void end();

  // Seconds end() spent waiting: the communication backward did not hide.
  double exposed_seconds() const { return exposed_seconds_; }
  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }
  // The first bucket closes at a quarter of the others' size: communication starts early
  // even for a model of a few buckets (PyTorch's DDP starts with 1 MiB for the same reason).
  int64_t first_bucket_bytes() const { return bucket_bytes_ / 4; }
  // The parameters (indices into `params`) of bucket b, in the order they fill it.
  const std::vector<int64_t>& bucket_parameters(int64_t b) const { return buckets_.at(static_cast<size_t>(b)).params; }
  // Buckets the last step started while backward was still running (the overlap).
  int64_t buckets_started_in_backward() const { return started_in_backward_; }

  void leaf_gradient(TensorImpl* leaf) override;
  void entry_done() override;

 private:
  struct Slot {
    int64_t bucket = 0, offset = 0, numel = 0;
  };
  struct Bucket {
    std::vector<int64_t> params;
    std::vector<float> buffer;
    int64_t waiting = 0;  // parameters of this bucket not finished yet
  };
  // The parameter's gradient into its bucket's buffer (zeros when it has none).
  void copy_in(size_t param);
  void finished(int64_t param);
  // Parameters into buckets, in this order.
  void assign_buckets(const std::vector<int64_t>& order);
  void learn_from_first_step();
  void start_ready_buckets();
  void start_bucket(Bucket& b);

  Communicator& comm_;
  std::vector<Tensor> params_;
  std::vector<std::string> names_;
  int64_t bucket_bytes_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::unordered_map<const TensorImpl*, int64_t> index_;
  std::vector<int64_t> expected_;  // contributions per parameter; empty until learned
  std::vector<int64_t> received_;
  std::vector<int64_t> last_event_;  // first step: when each gradient was last added to
  int64_t events_ = 0;
  std::vector<char> copied_;
  size_t next_bucket_ = 0;
  int64_t started_in_backward_ = 0;
  bool active_ = false;
  double exposed_seconds_ = 0;
};

}  // namespace qkv::dist
