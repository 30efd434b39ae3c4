// Checkpoints as HDF5 files (docs/design.md section 6), readable by h5py:
//   /                attributes: format = "qkv-checkpoint", version, step, tokens_seen,
//                    best_val_loss (text), config (TOML text)
//   /params/<name>   one dataset per parameter, PyTorch-style dotted names and layouts
//   /optim/<name>/*  optimizer state per parameter (exp_avg, exp_avg_sq, step, ...)
//   /tokenizer       attributes kind, vocab_size and blob (the serialized tokenizer)
//   /rng/<name>/*    generator states (s: the four words, spare, has_spare)
// Written to NAME.tmp, flushed to disk and renamed (then the folder is flushed), so a crash
// never leaves a torn file. Every dataset carries a crc32 (io/hdf5_file.h), checked on load.
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

// The first tensor of params or optim holding a NaN or an infinity, as its path in the
// file ("params/wte.weight", "optim/wte.weight/exp_avg"); "" when all are finite.
std::string first_non_finite(const Checkpoint& ckpt);

// Refuses, before creating any file, a checkpoint with a non-finite tensor. Any failure
// (a full disk: "File too large", "No space left on device") removes NAME.tmp, leaves an
// existing NAME as it was, and is a qkv::Error naming NAME and the reason.
void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
// Errors name the file and what is wrong: missing, not HDF5, truncated, not a qkv
// checkpoint, a newer version, a tensor failing its checksum, a non-finite parameter or
// optimizer state, or any attribute, group or dataset missing or of the wrong type or
// shape; never another exception type. A checkpoint without checksums (an older qkv's)
// loads with one notice on stderr.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace qkv
