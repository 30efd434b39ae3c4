#include "config/memory_budget.h"

#include <algorithm>
#include <fstream>
#include <string>

#include "base/bytes.h"
#include "base/error.h"
#include "data/pair_batcher.h"
#include "optim/factory.h"

namespace qkv {

namespace {

// The first number after `key` in a /proc-style file ("MemAvailable:   22335012 kB").
std::optional<double> number_after(const char* path, std::string_view key) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key)) {
      try {
        return std::stod(line.substr(key.size()));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  return std::nullopt;
}

// A one-value file such as memory.max: its number, or nullopt ("max": no limit).
std::optional<double> number_in(const char* path) { return number_after(path, ""); }

// "...; more than the 21.3 GiB available; lower ..." when `needed` does not fit.
void require(double needed, std::optional<double> available, const std::string& what, std::string_view lower) {
  if (!available || needed <= *available) return;
  fail("{}, more than the {} available; lower {}", what, format_bytes(*available), lower);
}

}  // namespace

int64_t vocab_before_data(const RunConfig& cfg) {
  const bool subword = cfg.data.tokenizer != data::TokenizerKind::char_;
  const int64_t tokenizer_vocab =
      !subword ? kCharVocabBound : cfg.data.vocab_size > 0 ? cfg.data.vocab_size : data::kDefaultSubwordVocab;
  return cfg.model.kind == nn::ModelKind::seq2seq ? data::special_ids(tokenizer_vocab).vocab_size : tokenizer_vocab;
}

nn::MemoryEstimate estimate_run_memory(const RunConfig& cfg, int64_t vocab_size) {
  nn::ModelConfig m = cfg.model;
  m.vocab_size = vocab_size > 0 ? vocab_size : vocab_before_data(cfg);
  return nn::estimate_training_memory(m, cfg.train.batch_size, optim::state_tensors_per_parameter(cfg.optim));
}

std::optional<double> available_memory() {
  std::optional<double> meminfo_kib = number_after("/proc/meminfo", "MemAvailable:");
  std::optional<double> available;
  if (meminfo_kib) available = *meminfo_kib * kKiB;
  // A container's limit is lower than the host's free memory.
  const std::optional<double> limit = number_in("/sys/fs/cgroup/memory.max");
  const std::optional<double> used = number_in("/sys/fs/cgroup/memory.current");
  if (limit && used) {
    const double left = std::max(0.0, *limit - *used);
    available = available ? std::min(*available, left) : left;
  }
  return available;
}

namespace {

// A training step of cfg, plus `buckets` bytes of data-parallel gradient buckets (0: none).
void check_training_memory(const RunConfig& cfg, std::string_view command, int64_t vocab_size,
                           std::optional<double> available, double buckets) {
  const nn::MemoryEstimate e = estimate_run_memory(cfg, vocab_size);
  const bool activations_dominate = e.activations >= e.parameters + e.gradients + e.optimizer_state;
  require(e.total() + buckets, available,
          fmt::format("{}: this config needs about {} (parameters {}, gradients {}, optimizer state {}{}, activations {} "
                      "for one batch of {} x {}, the program {})",
                      command, format_bytes(e.total() + buckets), format_bytes(e.parameters),
                      format_bytes(e.gradients), format_bytes(e.optimizer_state),
                      buckets > 0 ? ", allreduce buckets " + format_bytes(buckets) : std::string(),
                      format_bytes(e.activations), cfg.train.batch_size, cfg.model.block_size,
                      format_bytes(e.runtime)),
          activations_dominate ? "train.batch_size (train.grad_accum keeps the tokens per step), model.block_size or "
                                 "model.n_embd"
                               : "model.n_embd, model.n_layer or the vocabulary");
}

}  // namespace

void check_memory_budget(const RunConfig& cfg, std::string_view command, int64_t vocab_size,
                         std::optional<double> available) {
  check_training_memory(cfg, command, vocab_size, available, 0);
}

void check_rank_memory_budget(const RunConfig& cfg, int ranks, int ranks_here, std::string_view command,
                              std::optional<double> available) {
  RunConfig mine = cfg;
  mine.train.batch_size = (cfg.train.batch_size + ranks - 1) / ranks;
  if (available) *available /= ranks_here;
  check_training_memory(mine, command, 0, available, estimate_run_memory(mine).gradients);
}

void check_inference_memory(const nn::ModelConfig& m, int64_t full_rows, int64_t decoding_rows, std::string_view command,
                            std::string_view lower, std::optional<double> available) {
  const nn::MemoryEstimate e = nn::estimate_inference_memory(m, full_rows, decoding_rows);
  require(e.total(), available,
          fmt::format("{}: this needs about {} (parameters {}, activations and key/value caches {} for {} sequences of "
                      "up to {} tokens, the program {})",
                      command, format_bytes(e.total()), format_bytes(e.parameters), format_bytes(e.activations),
                      std::max(full_rows, decoding_rows), m.block_size, format_bytes(e.runtime)),
          lower);
}

}  // namespace qkv
