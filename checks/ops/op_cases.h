// The gradcheck cases of every differentiable op: small float64 problems that
// `qkv gradcheck --all` runs and prints, and that the test suite runs too.
// Each op family adds its cases in its own <family>_cases.cpp.
#pragma once
#include <string>
#include <vector>

#include "base/generator.h"
#include "autograd/gradcheck.h"

namespace qkv {

struct OpCase {
  std::string op;       // the op's name, as `qkv gradcheck --op NAME` takes it
  std::string variant;  // what the case exercises: "broadcast", "transposed input", ...
  std::vector<Tensor> inputs;      // float64 leaves that require grad, plus int/mask inputs
  std::vector<std::string> names;  // one per input
  GradFn f;
  GradcheckOptions options = {};  // per-case tolerances (kinks, saturating functions)

  std::string shapes() const;  // "[3,4] [4]"
  GradcheckReport run() const { return gradcheck(f, inputs, names, options); }
};

// Every case, built from a fixed seed (the same values on every run).
std::vector<OpCase> all_op_cases();
// The names of every op with at least one case, in order of first appearance.
std::vector<std::string> checked_op_names(const std::vector<OpCase>& cases);

// Helpers for building cases.
Tensor leaf(const Dims& shape, Generator& gen);           // randn float64, requires grad
Tensor positive_leaf(const Dims& shape, Generator& gen);  // uniform in [0.5, 2], requires grad
// A leaf whose memory is laid out transposed (last two dims swapped): not contiguous.
Tensor transposed_leaf(const Dims& shape, Generator& gen);
// A leaf that is every other column of a wider buffer: a strided slice.
Tensor strided_leaf(const Dims& shape, Generator& gen);
// The leaf's values moved to |v| >= 0.1, keeping its layout: for ops with a kink at 0
// (abs, relu), where finite differences straddling the kink are wrong.
Tensor away_from_zero(Tensor leaf);

// One per op family.
void add_binary_cases(std::vector<OpCase>& out, Generator& gen);
void add_unary_cases(std::vector<OpCase>& out, Generator& gen);
void add_activation_cases(std::vector<OpCase>& out, Generator& gen);
void add_reduce_cases(std::vector<OpCase>& out, Generator& gen);
void add_view_cases(std::vector<OpCase>& out, Generator& gen);
void add_matmul_cases(std::vector<OpCase>& out, Generator& gen);
void add_mlp_cases(std::vector<OpCase>& out, Generator& gen);
void add_softmax_cases(std::vector<OpCase>& out, Generator& gen);
void add_norm_cases(std::vector<OpCase>& out, Generator& gen);
void add_loss_cases(std::vector<OpCase>& out, Generator& gen);
void add_indexing_cases(std::vector<OpCase>& out, Generator& gen);
void add_join_cases(std::vector<OpCase>& out, Generator& gen);
void add_mask_cases(std::vector<OpCase>& out, Generator& gen);
void add_dropout_cases(std::vector<OpCase>& out, Generator& gen);
void add_attention_cases(std::vector<OpCase>& out, Generator& gen);

}  // namespace qkv
