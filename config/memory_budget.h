// Whether a run fits the machine, from its config alone (nn/memory_estimate.h), before
// any data is read or anything big allocated: a config that cannot fit is refused in a
// second with one line of numbers, instead of allocating for a minute and dying in
// bad_alloc, or growing until the machine swaps.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/config.h"
#include "nn/memory_estimate.h"

namespace qkv {

// The model's vocabulary before the corpus is read: data.vocab_size for bpe and unigram
// (0: their default), kCharVocabBound for char; seq2seq adds pad, bos and eos.
int64_t vocab_before_data(const RunConfig& cfg);
// Distinct characters assumed for a char tokenizer before its corpus is read: an
// alphabetic corpus has under 100 (the KJV 68), 1024 leaves any alphabet room. A corpus
// with more (CJK) is under-counted by its logits only.
inline constexpr int64_t kCharVocabBound = 1024;

// One training step of cfg; vocab_size is the model's vocabulary (0: vocab_before_data).
nn::MemoryEstimate estimate_run_memory(const RunConfig& cfg, int64_t vocab_size = 0);

// The memory this process may still take, in bytes: MemAvailable of /proc/meminfo, or
// less under a cgroup (v2) limit; nullopt where neither can be read (nothing is refused).
std::optional<double> available_memory();

// Fails when cfg's training step needs more than `available`, e.g. "train: this config
// needs about 812.4 GiB (parameters 3.7 GiB, gradients 3.7 GiB, optimizer state 7.5 GiB,
// activations 797 GiB for one batch of 1000000 x 64, the program 64 MiB), more than the
// 21.3 GiB available; lower train.batch_size, model.block_size or model.n_embd".
// `command` begins the message. Call it after validate() and before the data is read.
void check_memory_budget(const RunConfig& cfg, std::string_view command, int64_t vocab_size = 0,
                         std::optional<double> available = available_memory());

// The same for one rank of a data-parallel run of `ranks` ranks, `ranks_here` of them on
// this machine: the activations of its rows of the batch, plus the allreduce's flat copy
// of the gradients, against its share of the available memory.
void check_rank_memory_budget(const RunConfig& cfg, int ranks, int ranks_here, std::string_view command,
                              std::optional<double> available = available_memory());

// The same for decoding or evaluating a loaded model m (its vocab_size set) without the
// tape: `full_rows` whole-block forwards and `decoding_rows` cached decodes at once
// (nn::estimate_inference_memory); `lower` names the options that shrink them.
void check_inference_memory(const nn::ModelConfig& m, int64_t full_rows, int64_t decoding_rows, std::string_view command,
                            std::string_view lower, std::optional<double> available = available_memory());

}  // namespace qkv
