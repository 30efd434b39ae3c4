// Every differentiable op passes its float64 gradcheck cases (the same cases that
// `qkv gradcheck --all` prints), and no op of the core is left without a case.
#include <catch2/catch.hpp>

#include <algorithm>

#include "checks/ops/op_cases.h"

using namespace qkv;

TEST_CASE("every op case passes gradcheck in float64", "[gradcheck]") {
  std::vector<OpCase> cases = all_op_cases();
  REQUIRE(cases.size() >= 40);
  for (const OpCase& c : cases) {
    GradcheckReport r = c.run();
    INFO(c.op << " / " << c.variant << " " << c.shapes() << "\n" << r.str());
    CHECK(r.passed);
  }
}

TEST_CASE("every op of the core has a gradcheck case", "[gradcheck]") {
  const std::vector<std::string> required = {
      "add", "sub", "mul", "div", "pow", "add_scalar", "sub_scalar", "rsub_scalar", "mul_scalar",
      "div_scalar", "rdiv_scalar", "neg", "exp", "log", "sqrt", "rsqrt", "abs", "tanh", "sigmoid",
      "pow_scalar", "relu", "gelu", "gelu_tanh", "silu", "sum", "mean", "max", "var", "matmul",
      "softmax", "log_softmax", "layer_norm", "rms_norm", "cross_entropy", "embedding",
      "index_select", "gather", "concat", "stack", "where", "masked_fill", "tril", "triu", "dropout",
      "reshape", "permute", "transpose", "slice", "split", "expand", "unsqueeze", "contiguous"};
  std::vector<std::string> have = checked_op_names(all_op_cases());
  for (const std::string& op : required) {
    INFO("op without a gradcheck case: " << op);
    CHECK(std::find(have.begin(), have.end(), op) != have.end());
  }
}
