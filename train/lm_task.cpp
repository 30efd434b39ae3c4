// The language-modelling task: a GPT on random windows of a text corpus (nanoGPT's loop).
#include <fmt/format.h>

#include "base/profile.h"
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

  MicroBatch train_loss(Generator& data_gen) override {
    data::LMBatch batch;
    {
      profile::Scope data(profile::Family::other);  // drawing the batch
      batch = train_->next(data_gen);
    }
    return {model_->loss(batch.x, batch.y), batch.x.numel()};
  }

  double validation_loss(int64_t iters, uint64_t seed) override {
    return evaluate_in_eval_mode(*model_, [&] {
      Generator gen(seed);
      double sum = 0;
      for (int64_t i = 0; i < iters; ++i) {
        data::LMBatch b = val_->next(gen);
        sum += model_->loss(b.x, b.y).item();
      }
      return sum / static_cast<double>(iters);
    });
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
