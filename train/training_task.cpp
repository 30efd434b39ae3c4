#include "train/training_task.h"

namespace qkv {

std::unique_ptr<TrainingTask> make_training_task(const RunConfig& cfg, const std::string& data_dir,
                                                 std::unique_ptr<data::Tokenizer> tokenizer) {
  if (cfg.model.kind == nn::ModelKind::seq2seq) return make_translation_task(cfg, data_dir, std::move(tokenizer));
  return make_lm_task(cfg, data_dir, std::move(tokenizer));
}

}  // namespace qkv
