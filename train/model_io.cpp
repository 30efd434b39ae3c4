#include "train/model_io.h"

namespace qkv {

std::unique_ptr<nn::GPT> build_gpt(const RunConfig& cfg, int64_t vocab_size) {
  check(cfg.model.kind == nn::ModelKind::gpt,
        "train: model.kind = seq2seq needs a translation corpus, which training does not support yet; use \"gpt\"");
  nn::ModelConfig m = cfg.model;
  m.vocab_size = vocab_size;
  return std::make_unique<nn::GPT>(m, static_cast<uint64_t>(cfg.train.seed));
}

LoadedModel load_model(const std::string& path) {
  LoadedModel out;
  out.checkpoint = load_checkpoint(path);
  out.config = parse_config(out.checkpoint.config_toml, path + " (config attribute)");
  out.tokenizer = data::load_tokenizer(out.checkpoint.tokenizer_blob);
  out.model = build_gpt(out.config, out.tokenizer->vocab_size());
  try {
    out.model->load_state_dict(out.checkpoint.params);
  } catch (const Error& e) {
    fail("checkpoint: {} does not match its config: {}", path, e.what());
  }
  out.model->eval();
  return out;
}

}  // namespace qkv
