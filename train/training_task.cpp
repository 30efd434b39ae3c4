#include "train/training_task.h"

#include "autograd/tape.h"

namespace qkv {

double evaluate_in_eval_mode(nn::Module& model, const std::function<double()>& evaluate) {
  NoGradGuard no_grad;
  model.eval();
  const double value = evaluate();
  model.train();
  return value;
}

std::unique_ptr<TrainingTask> make_training_task(const RunConfig& cfg, const std::string& data_dir,
                                                 std::unique_ptr<data::Tokenizer> tokenizer) {
  if (cfg.model.kind == nn::ModelKind::seq2seq) return make_translation_task(cfg, data_dir, std::move(tokenizer));
  return make_lm_task(cfg, data_dir, std::move(tokenizer));
}

}  // namespace qkv
