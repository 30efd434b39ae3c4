#include "config/model_io.h"

#include "nn/count.h"

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

namespace {

// Before the model is built from the checkpoint's config: the config in range, and a
// model no bigger than the weights the file holds (a damaged or foreign config could ask
// for terabytes; a smaller or equal one is left to load_state_dict, which names the
// tensor that differs).
void check_fits_weights(const LoadedModel& m) {
  try {
    validate(m.config);
  } catch (const Error& e) {
    fail("checkpoint: {}: its config is out of range: {}", m.path, e.what());
  }
  nn::ModelConfig model = m.config.model;
  model.vocab_size = model.kind == nn::ModelKind::seq2seq ? data::special_ids(m.tokenizer->vocab_size()).vocab_size
                                                          : m.tokenizer->vocab_size();
  int64_t stored = 0;
  for (const auto& [name, t] : m.checkpoint.params) stored += t.numel();
  const int64_t needed = nn::count_parameters(model);
  QKV_CHECK(needed <= stored, "checkpoint: {} does not match its config: the config makes {} parameters, the file holds {}",
            m.path, needed, stored);
}

}  // namespace

LoadedModel load_model(const std::string& path) {
  LoadedModel out;
  out.path = path;
  out.checkpoint = load_checkpoint(path);
  out.config = parse_config(out.checkpoint.config_toml, path + " (config attribute)");
  out.tokenizer = data::load_tokenizer(out.checkpoint.tokenizer_blob);
  check_fits_weights(out);
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
