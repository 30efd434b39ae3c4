// Build one attention layer from the library API, gradient-check it in float64 and
// print the report: one row per input and per parameter.
//
//   ./build/examples/gradcheck_attention
#include <fmt/core.h>

#include "autograd/autograd.h"
#include "nn/attention.h"

using namespace qkv;

int main() {
  // Cross-attention without a query projection, with an RBF (kernel smoothing) score.
  nn::AttentionOptions opt;
  opt.d_model = 8;
  opt.n_head = 2;
  opt.cross = true;
  opt.variant.q_proj = false;
  opt.variant.score = nn::ScoreKind::rbf;
  opt.init_std = opt.out_init_std = 0.5;  // larger than training's 0.02 so no gradient is tiny

  Generator gen(0);
  nn::MultiHeadAttention attn(opt, gen);
  attn.to(DType::f64);  // gradcheck works in float64

  Tensor x = randn({2, 3, 8}, gen, DType::f64).requires_grad_();       // queries [B,T,d]
  Tensor memory = randn({2, 4, 8}, gen, DType::f64).requires_grad_();  // keys/values [B,S,d]
  Tensor padding = Tensor::from({0, 0, 0, 1, 0, 0, 0, 0}, {2, 4}, DType::i32);  // ignore key 3 of batch 0

  // Check the inputs and every parameter by name.
  std::vector<Tensor> inputs = {x, memory};
  std::vector<std::string> names = {"x", "memory"};
  for (auto& [name, p] : attn.named_parameters()) {
    inputs.push_back(p);
    names.push_back(name);
  }
  auto f = [&](const std::vector<Tensor>& in) { return attn.forward(in[0], in[1], padding).out; };
  GradcheckReport report = gradcheck(f, inputs, names);

  fmt::print("{}", report.str());
  fmt::print("{}\n", report.passed ? "all gradients match finite differences" : "GRADIENT MISMATCH");
  return report.passed ? 0 : 1;
}
