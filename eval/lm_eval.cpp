#include "eval/lm_eval.h"

#include <algorithm>

#include "autograd/tape.h"
#include "base/error.h"

namespace qkv {

LmEval evaluate_lm(const nn::GPT& model, const std::vector<int32_t>& tokens, int64_t batch_size) {
  const int64_t T = model.config().block_size;
  const int64_t n = (static_cast<int64_t>(tokens.size()) - 1) / T;
  QKV_CHECK(n > 0, "eval: the split has {} tokens, fewer than block_size + 1 = {}", tokens.size(), T + 1);
  NoGradGuard no_grad;
  double total = 0;
  for (int64_t w0 = 0; w0 < n; w0 += batch_size) {
    const int64_t b = std::min(batch_size, n - w0);
    Tensor x = Tensor::empty({b, T}, DType::i64), y = Tensor::empty({b, T}, DType::i64);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t t = 0; t < T; ++t) {
        x.data<int64_t>()[i * T + t] = tokens[(w0 + i) * T + t];
        y.data<int64_t>()[i * T + t] = tokens[(w0 + i) * T + t + 1];
      }
    total += model.loss(x, y).item() * static_cast<double>(b);
  }
  return {total / static_cast<double>(n), n};
}

}  // namespace qkv
