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
// 512-bit vectors for this file's exp/erf-heavy loops: under -march=native GCC prefers
// 256-bit ones, and the wider ones measured 1.2-1.4x faster here (bench/bench_kernels).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "autograd/ops/loss.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/fast_math.h"
#include "cpu/parallel.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

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

// Loss of each counted row into loss[i] (0 for ignored rows), saving row_max and log_sum.
// The row sums run in T over fixed lanes (fast_math.h), the per-row loss in double.
template <typename T>
void forward_rows(const CrossEntropyRows& r, const CrossEntropyOptions& opt, double* loss) {
  const T* x_all = r.logits.data<T>();
  const int64_t* t = r.targets.data<int64_t>();
  T *row_max = r.row_max.data<T>(), *log_sum = r.log_sum.data<T>();
  const int64_t C = r.classes;
  const double s = opt.label_smoothing;
  parallel_for(r.rows, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (t[i] == opt.ignore_index) {
        loss[i] = 0;
        continue;
      }
      const T* x = x_all + i * C;
      fast::prefetch_ahead(x, C);
      const T m = fast::lane_max(x, C);
      const double sum_exp = fast::lane_sum<T>(C, [&](int64_t c) { return fast::exp(x[c] - m); });
      const double sum_x = s > 0 ? fast::lane_sum<T>(C, [&](int64_t c) { return x[c]; }) : 0.0;
      // Relative to the max, so large logits (1e4) lose no precision: lse - x = (m - x) + log(sum_exp).
      const double ls = std::log(sum_exp);
      const double nll = (static_cast<double>(m) - x[t[i]]) + ls;
      const double smooth = (static_cast<double>(m) - sum_x / C) + ls;
      loss[i] = (1 - s) * nll + (s > 0 ? s * smooth : 0.0);
      row_max[i] = m;
      log_sum[i] = static_cast<T>(ls);
    }
  });
}

// dx = (softmax - q) * scale per row, zero for ignored rows.
template <typename T>
void backward_rows(const CrossEntropyRows& r, const CrossEntropyOptions& opt, double scale, T* dx_all) {
  const T* x_all = r.logits.data<T>();
  const int64_t* t = r.targets.data<int64_t>();
  const T *row_max = r.row_max.data<T>(), *log_sum = r.log_sum.data<T>();
  const int64_t C = r.classes;
  const T sc = static_cast<T>(scale);
  const T spread = static_cast<T>(opt.label_smoothing / C), on_target = static_cast<T>(1 - opt.label_smoothing);
  parallel_for(r.rows, row_grain(C), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* x = x_all + i * C;
      T* dx = dx_all + i * C;
      fast::prefetch_ahead(x, C);
      if (t[i] == opt.ignore_index) {
        std::fill(dx, dx + C, T(0));
        continue;
      }
      const T m = row_max[i], ls = log_sum[i];  // locals: dx cannot alias them
      for (int64_t c = 0; c < C; ++c) dx[c] = (fast::exp((x[c] - m) - ls) - spread) * sc;
      dx[t[i]] -= on_target * sc;
    }
  });
}

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
  dispatch_float(logits.dtype(), op, [&]<typename T>() { forward_rows<T>(r, opt, row_loss.data<double>()); });
  double total = 0;  // summed in row order: deterministic
  for (int64_t i = 0; i < r.rows; ++i) total += row_loss.data<double>()[i];
  Tensor out = Tensor::scalar(r.count > 0 ? total / r.count : 0.0, logits.dtype());

  if (any_requires_grad(logits))
    record(op, out, [logits, r, opt](const Tensor& g) {
      const double scale = r.count > 0 ? g.item() / r.count : 0.0;
      Tensor dx = Tensor::empty(logits.shape(), logits.dtype());
      dispatch_float(logits.dtype(), "cross_entropy", [&]<typename T>() { backward_rows<T>(r, opt, scale, dx.data<T>()); });
      accumulate_grad(logits, dx, "cross_entropy");
    });
  return out;
}

}  // namespace qkv
