#include "train/training_task.h"

#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {

BatchSlice RankShare::rows_of(int64_t rows) const {
  const int64_t first = rank * rows / ranks, end = (rank + 1) * rows / ranks;
  return {first, end - first};
}

Tensor take_rows(const Tensor& t, const BatchSlice& rows) {
  return slice(t, 0, rows.first_row, rows.first_row + rows.rows).contiguous();
}

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
