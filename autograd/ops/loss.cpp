// cross_entropy fused with log_softmax. Per counted row i (target t, smoothing s,
// C classes, logp = log_softmax(logits_i), lse = log sum_c exp(x_c)):
//   loss_i = (1 - s) * (-logp[t]) + s * mean_c(-logp[c])
//          = (1 - s) * (lse - x_t) + s * (lse - mean_c x_c)
// and the result is the mean of loss_i over rows whose target is not ignore_index,
// as in PyTorch. Forward saves only max and log-sum-exp-minus-max per row; backward
// recomputes softmax from them:
//   d logits_i = (softmax_i - q_i) * g / count,   q_i = (1 - s) onehot(t) + s / C
// Ignored rows contribute 0 to the loss, the count and the gradient. When every row
// is ignored the result is 0 with a zero gradient (PyTorch returns NaN, 0/0): a
// batch of padding must not poison a training run.
// The per-row arithmetic is cpu/kernels/cross_entropy.cpp.
#include "autograd/ops/loss.h"

#include "autograd/dispatch.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"
#include "cpu/kernels/cross_entropy.h"

namespace qkv {
namespace {

// The forward's per-row results, saved for backward.
struct CrossEntropyRows {
  Tensor logits;   // [rows, C] contiguous
  Tensor targets;  // [rows] int64 contiguous
  // Per row (unset for ignored rows): the max m and log sum_c exp(x_c - m). Kept apart,
  // not as lse = m + log_sum, which float32 rounds by ~1e-3 for logits near 1e4.
  Tensor row_max, log_sum;  // [rows]
  int64_t rows = 0, classes = 0, count = 0;  // count: rows not ignored
};

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, const CrossEntropyOptions& opt) {
  const char* op = "cross_entropy";
  check_floating(logits, op);
  QKV_CHECK(logits.dim() > 0 && logits.shape().back() > 0, "cross_entropy: expected logits [..., C] with C > 0, got {}",
        describe(logits));
  QKV_CHECK(targets.defined() && !targets.is_floating_point(), "cross_entropy: targets must be int32 or int64, got {}",
        targets.defined() ? describe(targets) : std::string("undefined"));
  Dims batch = logits.shape();
  batch.erase(batch.size() - 1);
  QKV_CHECK(targets.shape() == batch, "cross_entropy: targets {} do not match logits {} (expected targets {})",
        describe(targets), describe(logits), batch.str());
  QKV_CHECK(opt.label_smoothing >= 0 && opt.label_smoothing <= 1,
        "cross_entropy: label_smoothing must be in [0, 1], got {}", opt.label_smoothing);

  CrossEntropyRows r;
  r.classes = logits.shape().back();
  r.rows = batch.numel();
  {
    NoGradGuard no_grad;
    r.logits = contiguous(logits);
    r.targets = contiguous(to_dtype(targets, DType::i64));
  }
  r.row_max = Tensor::empty({r.rows}, logits.dtype());
  r.log_sum = Tensor::empty({r.rows}, logits.dtype());

  // Checked serially before the parallel kernel (which must not throw).
  const int64_t* t = r.targets.data<int64_t>();
  for (int64_t i = 0; i < r.rows; ++i) {
    if (t[i] == opt.ignore_index) continue;
    QKV_CHECK(t[i] >= 0 && t[i] < r.classes, "cross_entropy: target {} is out of range for {} classes (logits {})",
          t[i], r.classes, describe(logits));
    ++r.count;
  }

  Tensor row_loss = Tensor::empty({r.rows}, DType::f64);
  on_device(device_of(op, logits, targets), op, [&](auto backend) {
    dispatch_float(logits.dtype(), op, [&]<typename T>() {
      cross_entropy_forward(backend, r.rows, r.classes, r.logits.data<T>(), t, opt.ignore_index, opt.label_smoothing,
                            row_loss.data<double>(), r.row_max.data<T>(), r.log_sum.data<T>());
    });
  });
  double total = 0;  // summed in row order: deterministic
  for (int64_t i = 0; i < r.rows; ++i) total += row_loss.data<double>()[i];
  Tensor out = Tensor::scalar(r.count > 0 ? total / r.count : 0.0, logits.dtype());

  if (any_requires_grad(logits))
    record(op, out, [logits, r, opt](const Tensor& g) {
      const double scale = r.count > 0 ? g.item() / r.count : 0.0;
      Tensor dx = Tensor::empty(logits.shape(), logits.dtype());
      on_device(device_of("cross_entropy", logits, g), "cross_entropy", [&](auto backend) {
        dispatch_float(logits.dtype(), "cross_entropy", [&]<typename T>() {
          cross_entropy_backward(backend, r.rows, r.classes, r.logits.data<T>(), r.targets.data<int64_t>(),
                                 opt.ignore_index, opt.label_smoothing, r.row_max.data<T>(), r.log_sum.data<T>(),
                                 scale, dx.data<T>());
        });
      });
      accumulate_grad(logits, dx, "cross_entropy");
    });
  return out;
}

}  // namespace qkv
