#include "config/model_io.h"

namespace qkv {

std::unique_ptr<nn::GPT> build_gpt(const RunConfig& cfg, int64_t vocab_size) {
  nn::ModelConfig m = cfg.model;
  m.vocab_size = vocab_size;
  return std::make_unique<nn::GPT>(m, static_cast<uint64_t>(cfg.train.seed));
}

std::unique_ptr<nn::Seq2Seq> build_seq2seq(const RunConfig& cfg, int64_t tokenizer_vocab_size) {
  const data::SpecialIds ids = data::special_ids(tokenizer_vocab_size);
  nn::ModelConfig m = cfg.model;
  m.vocab_size = ids.vocab_size;
  return std::make_unique<nn::Seq2Seq>(m, static_cast<uint64_t>(cfg.train.seed), ids.pad);
}

nn::GPT& LoadedModel::gpt(std::string_view command) const {
  QKV_CHECK(model != nullptr, "{}: {} holds a seq2seq (translation) model; expected a GPT (use qkv translate)", command,
        path);
  return *model;
}

nn::Seq2Seq& LoadedModel::translator(std::string_view command) const {
  QKV_CHECK(seq2seq != nullptr, "{}: {} holds a GPT; expected a seq2seq (translation) model (use qkv sample)", command,
        path);
  return *seq2seq;
}

LoadedModel load_model(const std::string& path) {
  LoadedModel out;
  out.path = path;
  out.checkpoint = load_checkpoint(path);
  out.config = parse_config(out.checkpoint.config_toml, path + " (config attribute)");
  out.tokenizer = data::load_tokenizer(out.checkpoint.tokenizer_blob);
  nn::Module* module = nullptr;
  if (out.config.model.kind == nn::ModelKind::seq2seq) {
    out.seq2seq = build_seq2seq(out.config, out.tokenizer->vocab_size());
    module = out.seq2seq.get();
  } else {
    out.model = build_gpt(out.config, out.tokenizer->vocab_size());
    module = out.model.get();
  }
  try {
    module->load_state_dict(out.checkpoint.params);
  } catch (const Error& e) {
    fail("checkpoint: {} does not match its config: {}", path, e.what());
  }
  module->eval();
  return out;
}

}  // namespace qkv
