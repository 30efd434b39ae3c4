// Gradient-check a function of your own built from qkv ops, the way a user checks a
// new layer before training it. Build: part of the CMake build (examples/).
#include <fmt/core.h>

#include "autograd/autograd.h"

using namespace qkv;

int main() {
  Generator gen(0);
  // Leaves in float64: gradcheck perturbs them with central differences.
  Tensor x = randn({4, 3}, gen, DType::f64).requires_grad_();
  Tensor w = randn({3}, gen, DType::f64).requires_grad_();

  // f(x, w) = mean over rows of sum((x * w)^2 / (1 + x^2)), with broadcasting of w.
  GradFn f = [](const std::vector<Tensor>& in) {
    Tensor xw = in[0] * in[1];
    return mean(sum(xw * xw / (in[0] * in[0] + 1.0), {1}));
  };
  GradcheckReport report = gradcheck(f, {x, w}, {"x", "w"});
  fmt::print("{}", report.str());
  return report.passed ? 0 : 1;
}
