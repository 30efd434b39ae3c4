// What the training loop trains: a model, the batches it learns from and its loss. The
// loop (trainer.cpp: schedule, clipping, evaluation, checkpoints, resume) is the same for
// every task; a task knows its data and its model kind:
//   lm           a GPT on a text corpus (model.kind = "gpt"), data/batcher.h's windows;
//   translation  an encoder-decoder on sentence pairs (model.kind = "seq2seq"),
//                data/pair_batcher.h's padded pairs, label-smoothed loss.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "base/batch_slice.h"
#include "base/generator.h"
#include "autograd/tensor.h"
#include "data/tokenizer.h"
#include "nn/module.h"
#include "config/config.h"

namespace qkv {

// Which rows of every batch this process computes: rank r of n takes rows
// [r * rows / n, (r + 1) * rows / n) of a batch of `rows` rows (docs/design.md section 10).
struct RankShare {
  int rank = 0, ranks = 1;
  BatchSlice rows_of(int64_t rows) const;
};

// Rows [first_row, first_row + rows) of a batch-first tensor, contiguous.
Tensor take_rows(const Tensor& t, const BatchSlice& rows);

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  virtual nn::Module& model() = 0;
  virtual Generator& dropout_generator() = 0;

  struct MicroBatch {
    Tensor loss;         // scalar, recorded on the tape
    int64_t tokens = 0;  // the tokens the whole batch trained on (tokens/s counts these)
  };
  // The loss of this rank's rows of one training micro-batch drawn with `data_gen` (every
  // rank draws the same global batch). Weighted by the rows' share of the batch, so that
  // the ranks' losses, and their gradients, sum to the batch's mean: with one rank, the
  // plain mean loss of the batch.
  virtual MicroBatch train_loss(Generator& data_gen, const RankShare& share) = 0;

  // The validation loss is loss_sum / weight once both are summed over the ranks.
  struct ValidationSums {
    double loss_sum = 0, weight = 0;
  };
  // Over `iters` validation batches drawn from a generator seeded with `seed`: the same
  // batches at every evaluation, whatever the number of ranks; this rank's rows of each.
  // Runs in eval mode, without recording.
  virtual ValidationSums validation_sums(int64_t iters, uint64_t seed, const RankShare& share) = 0;
  // The data part of the trainer's opening line: corpus, split sizes, vocabulary.
  virtual std::string describe() const = 0;

  const data::Tokenizer& tokenizer() const { return *tokenizer_; }

 protected:
  std::unique_ptr<data::Tokenizer> tokenizer_;
};

// Runs `evaluate` with the model in eval mode (dropout off) and nothing recorded, then
// puts the model back in training mode: what every task's validation_loss does.
double evaluate_in_eval_mode(nn::Module& model, const std::function<double()>& evaluate);

// The task cfg.model.kind asks for, with its model built (train mode) and its data
// loaded. `tokenizer`: the checkpoint's when resuming; null builds one from the corpus.
std::unique_ptr<TrainingTask> make_training_task(const RunConfig& cfg, const std::string& data_dir,
                                                 std::unique_ptr<data::Tokenizer> tokenizer);

// The two kinds (lm_task.cpp, translation_task.cpp).
std::unique_ptr<TrainingTask> make_lm_task(const RunConfig& cfg, const std::string& data_dir,
                                           std::unique_ptr<data::Tokenizer> tokenizer);
std::unique_ptr<TrainingTask> make_translation_task(const RunConfig& cfg, const std::string& data_dir,
                                                    std::unique_ptr<data::Tokenizer> tokenizer);

}  // namespace qkv
