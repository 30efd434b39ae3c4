#include "checks/ops/op_cases.h"
#include "autograd/ops/loss.h"

namespace qkv {

// Targets are int64 inputs that do not require grad: gradcheck passes them through.
void add_loss_cases(std::vector<OpCase>& out, Generator& gen) {
  using V = const std::vector<Tensor>&;
  auto targets = [](std::initializer_list<double> t, const Dims& shape) { return Tensor::from(t, shape, DType::i64); };
  out.push_back({"cross_entropy", "plain", {leaf({4, 5}, gen), targets({1, 0, 4, 2}, {4})}, {"logits", "targets"},
                 [](V in) { return cross_entropy(in[0], in[1]); }});
  out.push_back({"cross_entropy", "ignore_index hits", {leaf({4, 5}, gen), targets({3, -100, 0, -100}, {4})},
                 {"logits", "targets"}, [](V in) { return cross_entropy(in[0], in[1]); }});
  out.push_back({"cross_entropy", "label_smoothing 0.1", {leaf({4, 5}, gen), targets({2, 2, 0, 4}, {4})},
                 {"logits", "targets"}, [](V in) { return cross_entropy(in[0], in[1], {.label_smoothing = 0.1}); }});
  out.push_back({"cross_entropy", "[B,T,C], ignore 0, smoothing",
                 {leaf({2, 3, 4}, gen), targets({1, 3, 0, 2, 0, 1}, {2, 3})}, {"logits", "targets"},
                 [](V in) { return cross_entropy(in[0], in[1], {.ignore_index = 0, .label_smoothing = 0.1}); }});
  out.push_back({"cross_entropy", "transposed logits", {transposed_leaf({3, 4}, gen), targets({3, 0, 1}, {3})},
                 {"logits", "targets"}, [](V in) { return cross_entropy(in[0], in[1]); }});
}

}  // namespace qkv
