// The run configuration: the TOML sections [data], [model], [attention], [train] and
// [optim] of docs/design.md section 5 as typed structs ([model] and [attention] in
// nn/config.h, [optim] in optim/config.h). Parsing is strict (an unknown key or
// a wrong type is an error naming it), `--set section.key=value` overrides any key, and
// the whole config is written back as TOML text (stored in every checkpoint).
#pragma once
#include <string>
#include <vector>

#include "data/tokenizer.h"
#include "nn/config.h"
#include "optim/config.h"

namespace qkv {

struct DataConfig {
  std::string corpus = "kjv";  // a dataset name (qkv data NAME) or a path to text
  data::TokenizerKind tokenizer = data::TokenizerKind::char_;
  int64_t vocab_size = 0;  // for bpe/unigram (char: taken from the corpus)
};

struct TrainConfig {
  int64_t max_iters = 2000;
  int64_t batch_size = 12;
  int64_t grad_accum = 1;
  int64_t eval_interval = 250;
  int64_t eval_iters = 20;
  int64_t log_interval = 10;
  int64_t checkpoint_interval = 500;
  int64_t keep_checkpoints = 2;  // the last K step checkpoints (best.h5 is kept too)
  int64_t seed = 1337;
  int64_t threads = 0;  // 0: all cores (or OMP_NUM_THREADS); per rank under mpirun
  // Data-parallel runs (mpirun): gradients are averaged in buckets of this many MiB, each
  // started as soon as backward has finished its gradients; the ranks compare a checksum
  // of their parameters every replica_check_interval steps.
  int64_t bucket_mb = 4;
  int64_t replica_check_interval = 100;
  std::string out = "out";
};

struct RunConfig {
  DataConfig data;
  nn::ModelConfig model;
  TrainConfig train;
  optim::OptimConfig optim;
};

// Parses TOML text; `origin` names the file in errors.
RunConfig parse_config(const std::string& toml_text, const std::string& origin);
// A config file is at most this big: a few KiB in practice, and the TOML parser holds the
// whole text (a mistyped path to a corpus or a device is refused before it is read).
inline constexpr uint64_t kMaxConfigBytes = 1 << 20;
// The text of a config file (a regular file of at most kMaxConfigBytes); errors name it.
std::string read_config_text(const std::string& path);
RunConfig load_config(const std::string& path);
// Applies "section.key=value" (value in TOML syntax: 3, 1e-3, true, "rope" or rope).
void apply_override(RunConfig& cfg, const std::string& assignment);
// Every key, as TOML text that parse_config reads back to the same config.
std::string to_toml(const RunConfig& cfg);
// A key whose value differs between two configs, with both values as TOML text
// ("(not set)" for a per-role attention key one of them leaves unset).
struct KeyDifference {
  std::string key, a, b;  // key: "model.n_head"
};
// The keys whose values differ between a and b, in table order.
std::vector<KeyDifference> differing_keys(const RunConfig& a, const RunConfig& b);
// Checks every number is in its key's range and the values make sense together; the
// error is one line naming the key.
void validate(const RunConfig& cfg);

}  // namespace qkv
