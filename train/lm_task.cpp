// The language-modelling task: a GPT on random windows of a text corpus (nanoGPT's loop).
#include <fmt/format.h>

#include "base/profile.h"
#include "autograd/ops/binary.h"
#include "autograd/tape.h"
#include "data/batcher.h"
#include "data/corpus.h"
#include "config/model_io.h"
#include "train/training_task.h"

namespace qkv {
namespace {

class LMTask : public TrainingTask {
 public:
  LMTask(const RunConfig& cfg, const std::string& data_dir, std::unique_ptr<data::Tokenizer> tokenizer) {
    data::Corpus corpus = data::load_corpus(cfg.data.corpus, data_dir);
    tokenizer_ = tokenizer ? std::move(tokenizer)
                           : data::build_tokenizer(cfg.data.tokenizer, corpus, cfg.data.vocab_size);
    data::TokenizedCorpus tokens = data::tokenize(corpus, *tokenizer_);
    const int64_t B = cfg.train.batch_size, T = cfg.model.block_size;
    train_ = std::make_unique<data::LMBatcher>(std::move(tokens.train), B, T, "train");
    val_ = std::make_unique<data::LMBatcher>(std::move(tokens.val), B, T, "val");
    origin_ = corpus.origin;
    model_ = build_gpt(cfg, tokenizer_->vocab_size());
    model_->train();
  }

  nn::Module& model() override { return *model_; }
  Generator& dropout_generator() override { return model_->dropout_generator(); }

  MicroBatch train_loss(Generator& data_gen, const RankShare& share) override {
    data::LMBatch batch;
    {
      profile::Scope data(profile::Family::other);  // drawing the batch
      batch = train_->next(data_gen);
    }
    const int64_t B = batch.x.size(0);
    const BatchSlice rows = share.rows_of(B);
    if (rows.rows == B) return {model_->loss(batch.x, batch.y), batch.x.numel()};
    BatchSliceScope keyed(rows);  // dropout masks keyed by the global row
    const Tensor loss = model_->loss(take_rows(batch.x, rows), take_rows(batch.y, rows));
    return {loss * (static_cast<double>(rows.rows) / static_cast<double>(B)), batch.x.numel()};
  }

  // Weighted by the rows' share of each batch: with one rank, the mean of the batch means.
  ValidationSums validation_sums(int64_t iters, uint64_t seed, const RankShare& share) override {
    ValidationSums sums;
    evaluate_in_eval_mode(*model_, [&] {
      Generator gen(seed);
      for (int64_t i = 0; i < iters; ++i) {
        data::LMBatch b = val_->next(gen);
        const int64_t B = b.x.size(0);
        const BatchSlice rows = share.rows_of(B);
        if (rows.rows == 0) continue;
        const double loss = rows.rows == B ? model_->loss(b.x, b.y).item()
                                           : model_->loss(take_rows(b.x, rows), take_rows(b.y, rows)).item();
        const double weight = static_cast<double>(rows.rows) / static_cast<double>(B);
        sums.loss_sum += loss * weight;
        sums.weight += weight;
      }
      return 0.0;
    });
    return sums;
  }

  std::string describe() const override {
    return fmt::format("corpus {} ({} train / {} val tokens, vocab {})", origin_, train_->num_tokens(),
                       val_->num_tokens(), tokenizer_->vocab_size());
  }

 private:
  std::string origin_;
  std::unique_ptr<data::LMBatcher> train_, val_;
  std::unique_ptr<nn::GPT> model_;
};

}  // namespace

std::unique_ptr<TrainingTask> make_lm_task(const RunConfig& cfg, const std::string& data_dir,
                                           std::unique_ptr<data::Tokenizer> tokenizer) {
  return std::make_unique<LMTask>(cfg, data_dir, std::move(tokenizer));
}

}  // namespace qkv
