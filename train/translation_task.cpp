// The translation task: an encoder-decoder on sentence pairs, with one joint tokenizer
// over both languages. Training minimises the label-smoothed loss (0.1, as Vaswani et al.
// and Marian's transformer presets); validation reports the plain cross-entropy per
// target token, so that exp(loss) is a perplexity.
#include <fmt/format.h>

#include "base/profile.h"
#include "autograd/ops/binary.h"
#include "autograd/tape.h"
#include "data/pair_batcher.h"
#include "data/parallel_corpus.h"
#include "config/model_io.h"
#include "train/training_task.h"

namespace qkv {
namespace {

constexpr double kLabelSmoothing = 0.1;

class TranslationTask : public TrainingTask {
 public:
  TranslationTask(const RunConfig& cfg, const std::string& data_dir, std::unique_ptr<data::Tokenizer> tokenizer) {
    data::ParallelCorpus corpus = data::load_parallel_corpus(cfg.data.corpus, data_dir);
    tokenizer_ = tokenizer ? std::move(tokenizer)
                           : data::build_tokenizer(cfg.data.tokenizer, data::as_text(corpus), cfg.data.vocab_size);
    const data::SpecialIds ids = data::special_ids(tokenizer_->vocab_size());
    const int64_t B = cfg.train.batch_size, T = cfg.model.block_size;
    train_ = std::make_unique<data::PairBatcher>(data::encode_pairs(corpus.train, *tokenizer_), B, T, ids, "train");
    val_ = std::make_unique<data::PairBatcher>(data::encode_pairs(corpus.val, *tokenizer_), B, T, ids, "val");
    origin_ = corpus.origin;
    model_ = build_seq2seq(cfg, tokenizer_->vocab_size());
    model_->train();
  }

  nn::Module& model() override { return *model_; }
  Generator& dropout_generator() override { return model_->dropout_generator(); }

  MicroBatch train_loss(Generator& data_gen, const RankShare& share) override {
    data::PairBatch batch;
    {
      profile::Scope data(profile::Family::other);  // drawing the batch
      batch = train_->next(data_gen);
    }
    const int64_t B = batch.src.size(0);
    const BatchSlice rows = share.rows_of(B);
    if (rows.rows == B)
      return {model_->loss(batch.src, batch.tgt_in, batch.tgt_out, kLabelSmoothing), batch.target_tokens};
    // The rows keep the whole batch's padding, so dropout sees the shapes one process sees.
    const data::PairBatch mine = rows_of(batch, rows);
    BatchSliceScope keyed(rows);
    const Tensor loss = model_->loss(mine.src, mine.tgt_in, mine.tgt_out, kLabelSmoothing);
    return {loss * (static_cast<double>(mine.target_tokens) / static_cast<double>(batch.target_tokens)),
            batch.target_tokens};
  }

  // The loss per target token: summed over the batches' tokens, divided by their number.
  ValidationSums validation_sums(int64_t iters, uint64_t seed, const RankShare& share) override {
    ValidationSums sums;
    evaluate_in_eval_mode(*model_, [&] {
      Generator gen(seed);
      for (int64_t i = 0; i < iters; ++i) {
        data::PairBatch b = val_->next(gen);
        const BatchSlice rows = share.rows_of(b.src.size(0));
        if (rows.rows == 0) continue;
        if (rows.rows != b.src.size(0)) b = rows_of(b, rows);
        sums.loss_sum += model_->loss(b.src, b.tgt_in, b.tgt_out, 0.0).item() * static_cast<double>(b.target_tokens);
        sums.weight += static_cast<double>(b.target_tokens);
      }
      return 0.0;
    });
    return sums;
  }

  std::string describe() const override {
    std::string dropped;
    if (train_->dropped() + val_->dropped() > 0)
      dropped = fmt::format("; {} train / {} val pairs longer than block_size left out", train_->dropped(),
                            val_->dropped());
    return fmt::format("pairs {} ({} train / {} val, joint vocab {} + pad/bos/eos{})", origin_, train_->size(),
                       val_->size(), tokenizer_->vocab_size(), dropped);
  }

 private:
  // Rows of a batch, with their own count of target tokens.
  data::PairBatch rows_of(const data::PairBatch& b, const BatchSlice& rows) const {
    data::PairBatch out{take_rows(b.src, rows), take_rows(b.tgt_in, rows), take_rows(b.tgt_out, rows), 0};
    const int64_t* t = out.tgt_out.data<int64_t>();
    const int64_t pad = train_->ids().pad;
    for (int64_t i = 0; i < out.tgt_out.numel(); ++i) out.target_tokens += t[i] != pad;
    return out;
  }

  std::string origin_;
  std::unique_ptr<data::PairBatcher> train_, val_;
  std::unique_ptr<nn::Seq2Seq> model_;
};

}  // namespace

std::unique_ptr<TrainingTask> make_translation_task(const RunConfig& cfg, const std::string& data_dir,
                                                    std::unique_ptr<data::Tokenizer> tokenizer) {
  return std::make_unique<TranslationTask>(cfg, data_dir, std::move(tokenizer));
}

}  // namespace qkv
