// Gradcheck cases for layers and models: a module in float64 and its inputs. A case
// checks the gradient of every parameter, by name, and of every input that requires
// grad (the query side "x" and the memory side "memory" for attention).
// `qkv gradcheck --layer NAME [--variant NAME]` prints them; the tests run them all.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/generator.h"
#include "autograd/gradcheck.h"
#include "nn/module.h"

namespace qkv::nn {

struct LayerCase {
  std::string layer;    // "linear", "attention", "gpt", ...
  std::string variant;  // "no_q/self/causal", ...
  std::shared_ptr<Module> module;  // already converted to float64
  std::vector<Tensor> inputs;      // float64 leaves that require grad, plus ids and masks
  std::vector<std::string> input_names;
  // Calls the module on the inputs; returns a float64 tensor (an output or a loss).
  std::function<Tensor(const std::vector<Tensor>&)> f;
  GradcheckOptions options = {};

  // Gradcheck over the inputs and every parameter (reported as "param <name>").
  GradcheckReport run() const;
};

// Every case of every layer (deterministic: fixed seeds).
std::vector<LayerCase> all_layer_cases();
std::vector<std::string> checked_layer_names(const std::vector<LayerCase>& cases);

// The options of an attention case: d_model d, `heads` heads, init std 0.5, and the
// switches joined by '+' ("gqa+rope", as in the case names): the variants of
// nn/attention_variants.h, plus head_dim3 (head_dim 3, so H * dh != d). An unknown
// switch is an error.
struct AttentionOptions;
AttentionOptions attention_case_options(const std::string& switches, int64_t d, int64_t heads, bool causal, bool cross);

// A float64 leaf requiring grad, randn.
Tensor input_leaf(const Dims& shape, Generator& gen);

// Per family.
void add_basic_layer_cases(std::vector<LayerCase>& out);      // linear, embedding, norms, mlp, rope
void add_attention_layer_cases(std::vector<LayerCase>& out);  // every attention variant
void add_model_layer_cases(std::vector<LayerCase>& out);      // blocks, gpt, seq2seq

}  // namespace qkv::nn
