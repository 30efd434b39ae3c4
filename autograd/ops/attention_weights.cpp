// attention_weights: the scores copied into the weights' buffer, normalised head by head
// in place (normalize_rows, scale 1); one tape entry that keeps the weights:
//   keys:    dS = A * (dA - rowsum(dA * A))
//   queries: dS = A * (dA - colsum(dA * A))
//   sigmoid: dS = dA * A * (1 - A)
// (0 at masked entries, where A is 0).
#include "autograd/ops/attention_weights.h"

#include "autograd/ops/accumulate.h"
#include "autograd/ops/attention_normalize.h"
#include "autograd/tape.h"
#include "autograd/views.h"
#include "cpu/parallel.h"

namespace qkv {

Tensor attention_weights(const Tensor& scores, const AttentionMask& mask, const NormalizeOptions& normalize) {
  constexpr const char* op = "attention_weights";
  QKV_CHECK(scores.defined() && scores.dim() == 4, "{}: expected scores [B,H,T,S], got {}", op, describe(scores));
  check_floating(scores, op);
  // One head's scores: `rows` queries by `cols` keys.
  const int64_t batch = scores.size(0), heads = scores.size(1), rows = scores.size(2), cols = scores.size(3);
  const RowMasks masks = row_masks(mask, batch, rows, cols, op);
  Tensor weights = Tensor::empty(scores.shape(), scores.dtype());
  copy_(weights, scores.detach());
  const int64_t head_size = rows * cols;
  dispatch_float(scores.dtype(), op, [&]<typename T>() {
    T* w = weights.data<T>();
    parallel_for(batch * heads, row_grain(head_size), [&](int64_t lo, int64_t hi) {
      for (int64_t bh = lo; bh < hi; ++bh)
        normalize_rows<T>(normalize, masks, bh / heads, 0, rows, w + bh * head_size, cols, cols, T(1));
    });
  });
  if (any_requires_grad(scores))
    record(op, weights, [scores, weights, kind = normalize.kind, matrices = batch * heads, rows, cols,
                         head_size](const Tensor& grad) {
      Tensor d = Tensor::empty(weights.shape(), weights.dtype());
      copy_(d, grad);
      dispatch_float(weights.dtype(), op, [&]<typename T>() {
        const T* w = weights.data<T>();
        T* dw = d.data<T>();
        parallel_for(matrices, row_grain(head_size), [&](int64_t lo, int64_t hi) {
          for (int64_t bh = lo; bh < hi; ++bh)
            normalize_rows_backward<T>(kind, rows, w + bh * head_size, cols, dw + bh * head_size, cols, cols, T(1));
        });
      });
      accumulate_grad(scores, d, op);
    });
  return weights;
}

}  // namespace qkv
