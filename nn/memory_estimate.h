// The memory a model needs, from its config alone (nothing is built), so a run that
// cannot fit is refused in a second with the numbers instead of dying in bad_alloc after
// minutes of allocating (config/memory_budget.h holds it to the machine). Beside
// nn/count.h, which it builds on; how each term is derived is in memory_estimate.cpp.
#pragma once
#include <cstdint>

#include "nn/config.h"

namespace qkv::nn {

// Bytes, as doubles: a config at its caps multiplies past int64.
struct MemoryEstimate {
  double parameters = 0;       // the weights, f32
  double gradients = 0;        // one per weight
  double optimizer_state = 0;  // optimizer_slots per weight (Adam's two moments)
  double activations = 0;      // training: one micro-batch's tape and the backward's peak
                               // on top; inference: key/value caches and one step
  double runtime = 0;          // the program, its libraries, thread buffers, a corpus

  double total() const { return parameters + gradients + optimizer_state + activations + runtime; }
};

// One training step of `batch` sequences of block_size tokens (seq2seq: source and
// target block_size each), with `optimizer_slots` state tensors per weight. m.vocab_size
// is the vocabulary the model is built with.
MemoryEstimate estimate_training_memory(const ModelConfig& m, int64_t batch, int64_t optimizer_slots);

// Without the tape: `full_rows` sequences through a whole-block forward (an eval batch,
// the encoder's sources, a prompt), and `decoding_rows` decoded one token at a time with
// full-block key/value caches (sentences x beam for beam search; 0: none).
MemoryEstimate estimate_inference_memory(const ModelConfig& m, int64_t full_rows, int64_t decoding_rows);

}  // namespace qkv::nn
