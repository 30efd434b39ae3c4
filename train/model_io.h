// Building a model from a run config, and rebuilding config, tokenizer and weights from
// a checkpoint (what sample, eval and --resume need).
#pragma once
#include <memory>
#include <string>

#include "data/tokenizer.h"
#include "nn/gpt.h"
#include "train/checkpoint.h"
#include "train/config.h"

namespace qkv {

// A GPT for cfg with the tokenizer's vocabulary. Errors for configs it cannot train.
std::unique_ptr<nn::GPT> build_gpt(const RunConfig& cfg, int64_t vocab_size);

struct LoadedModel {
  RunConfig config;
  Checkpoint checkpoint;
  std::unique_ptr<data::Tokenizer> tokenizer;
  std::unique_ptr<nn::GPT> model;
};

// Loads a checkpoint and rebuilds its model (weights loaded, eval mode).
LoadedModel load_model(const std::string& checkpoint_path);

}  // namespace qkv
