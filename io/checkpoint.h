// Checkpoints as HDF5 files (docs/design.md section 6), readable by h5py:
//   /                attributes: format = "qkv-checkpoint", version, step, tokens_seen,
//                    best_val_loss (text), config (TOML text)
//   /params/<name>   one dataset per parameter, PyTorch-style dotted names and layouts
//   /optim/<name>/*  optimizer state per parameter (exp_avg, exp_avg_sq, step, ...)
//   /tokenizer       attributes kind, vocab_size and blob (the serialized tokenizer)
//   /rng/<name>/*    generator states (s: the four words, spare, has_spare)
// Written to NAME.tmp, flushed to disk and renamed (then the folder is flushed), so a crash
// never leaves a torn file.
#pragma once
#include <limits>
#include <map>
#include <string>

#include "base/generator.h"
#include "autograd/tensor.h"
#include "optim/optimizer.h"

namespace qkv {

struct Checkpoint {
  int64_t step = 0;         // optimizer steps taken
  int64_t tokens_seen = 0;  // training tokens consumed
  double best_val_loss = std::numeric_limits<double>::infinity();
  std::string config_toml;
  std::map<std::string, Tensor> params;
  optim::StateDict optim;
  std::string tokenizer_kind;
  int64_t tokenizer_vocab = 0;
  std::string tokenizer_blob;
  std::map<std::string, Generator::State> rng;  // "data", "dropout", ...
};

inline constexpr int64_t kCheckpointVersion = 1;

// Any failure (a full disk: "File too large", "No space left on device") removes NAME.tmp,
// leaves an existing NAME as it was, and is a qkv::Error naming NAME and the reason.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Errors name the file and what is wrong: missing, not HDF5, truncated, not a qkv
// checkpoint, or a newer version.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace qkv
