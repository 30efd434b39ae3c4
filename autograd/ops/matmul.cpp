// matmul: C = A B over the last two dims, batch dims broadcast (NumPy rules), through
// cblas sgemm/dgemm. The forward and both backward products run through one routine,
// `product`, which hands views to BLAS with a transpose flag and a leading dimension
// (a transposed view costs no copy) and folds the batch into one big GEMM when the
// memory layout allows it.
#include "autograd/ops/matmul.h"

#include "cpu/blas_backend.h"

#include <climits>
#include <optional>

#include "autograd/factory.h"
#include "autograd/ops/blas_layout.h"
#include "autograd/ops/binary.h"
#include "autograd/ops/reduce.h"
#include "cpu/parallel.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

constexpr const char* kOp = "matmul";

// Below this many multiply-adds per matrix a batch is spread over threads one matrix
// per thread at a time; above it (few large matrices) BLAS threads each matrix itself.
constexpr int64_t kSmallGemm = int64_t{256} * 256 * 256;

Dims batch_of(const Dims& shape) { return Dims(shape.begin(), shape.end() - 2); }

// One matrix operand as cblas takes it.
template <typename T>
struct BlasMatrix {
  const T* ptr;
  CBLAS_TRANSPOSE trans;
  blasint ld;
};

// The matrix of a blas_ready tensor that starts `offset` elements past its first element.
template <typename T>
BlasMatrix<T> blas_matrix(const Tensor& x, int64_t offset) {
  BlasLayout l = *blas_layout(x);
  return {x.data<T>() + offset, l.trans, static_cast<blasint>(l.ld)};
}

// c[m, n] = a[m, k] b[k, n] (+ bias [n] on every row when given), c row-major and contiguous.
template <typename T>
void gemm(const BlasMatrix<T>& a, const BlasMatrix<T>& b, T* c, int64_t m, int64_t n, int64_t k, const T* bias) {
  gemm_into(a.trans, a.ptr, a.ld, b.trans, b.ptr, b.ld, c, n, m, n, k, false, bias);
}

// Strides of x's batch dims aligned to `batch` (0 where x is broadcast or has no such dim).
Dims batch_strides(const Tensor& x, const Dims& batch) {
  Dims s;
  s.resize(batch.size(), 0);
  const int lead = batch.size() - (x.dim() - 2);
  for (int d = 0; d < x.dim() - 2; ++d)
    if (x.size(d) != 1) s[lead + d] = x.stride(d);
  return s;
}

// Element offset of matrix i (row-major over `batch`) for an operand with these batch strides.
int64_t batch_offset(int64_t i, const Dims& batch, const Dims& strides) {
  int64_t off = 0;
  for (int d = batch.size() - 1; d >= 0; --d) {
    off += (i % batch[d]) * strides[d];
    i /= batch[d];
  }
  return off;
}

// x [batch..., R, C] seen as one matrix, batch-major, with the batch merged into its rows
// (dim = -2: [batch*R, C]) or its columns (dim = -1: [R, batch*C]) — when the strides
// allow that without a copy (e.g. a contiguous x for rows, its transpose for columns).
std::optional<Tensor> fold_batch(const Tensor& x, int dim) {
  const int r = x.dim(), into = r + dim;
  int64_t size = 1, stride = 0;  // the merged dim so far, innermost first
  for (int d = into; d >= 0; d = (d == into ? r - 3 : d - 1)) {
    if (x.size(d) == 1) continue;
    if (size == 1) stride = x.stride(d);
    else if (x.stride(d) != size * stride) return std::nullopt;
    size *= x.size(d);
  }
  if (size > INT_MAX) return std::nullopt;
  const int other = into == r - 2 ? r - 1 : r - 2;
  Dims shape{x.size(other), size}, strides{x.stride(other), stride};
  if (into == r - 2) {
    std::swap(shape[0], shape[1]);
    std::swap(strides[0], strides[1]);
  }
  return as_strided(x, shape, strides, x.offset());
}

// x with its last two dims swapped: a view, not recorded.
Tensor swap_last(const Tensor& x) {
  Dims shape = x.shape(), strides = x.strides();
  std::swap(shape[x.dim() - 1], shape[x.dim() - 2]);
  std::swap(strides[x.dim() - 1], strides[x.dim() - 2]);
  return as_strided(x, shape, strides, x.offset());
}

// The last two dims of x, whose batch dims are all 1.
Tensor only_matrix(const Tensor& x) {
  return as_strided(x, {x.size(-2), x.size(-1)}, {x.stride(-2), x.stride(-1)}, x.offset());
}

// x [bx..., M, K] times y [by..., K, N] -> a fresh [broadcast(bx, by)..., M, N], plus
// bias [N] on every row when given. Not recorded.
Tensor product(const Tensor& x, const Tensor& y, const Tensor& bias = Tensor()) {
  const int64_t m = x.size(-2), k = x.size(-1), n = y.size(-1);
  const Dims batch = broadcast_shapes(batch_of(x.shape()), batch_of(y.shape()), kOp);
  Dims shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  Tensor out = Tensor::empty(shape, x.dtype());
  if (out.numel() == 0) return out;
  const bool with_bias = bias.defined();
  if (k == 0) {  // every entry is an empty sum
    fill_(out, 0);
    return with_bias ? out + bias : out;
  }
  const int64_t count = batch.numel();
  dispatch_float(x.dtype(), kOp, [&]<typename T>() {
    T* c = out.data<T>();
    const Tensor bias_row = with_bias ? bias.contiguous() : Tensor();
    const T* b_row = with_bias ? bias_row.data<T>() : nullptr;  // added by the GEMM itself
    // One y for the whole batch and x's rows evenly spaced in memory (the Linear layer,
    // x[B,T,C] @ W^T): fold the batch into M, one GEMM [count*m, k] x [k, n].
    if (count > 1 && batch_of(y.shape()).numel() == 1)
      if (std::optional<Tensor> rows = fold_batch(x, -2)) {
        Tensor a = blas_ready(*rows), b = blas_ready(only_matrix(y));
        gemm(blas_matrix<T>(a, 0), blas_matrix<T>(b, 0), c, count * m, n, k, b_row);
        return;
      }
    Tensor a = blas_ready(x), b = blas_ready(y);
    const Dims as = batch_strides(a, batch), bs = batch_strides(b, batch);
    auto multiply = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        gemm(blas_matrix<T>(a, batch_offset(i, batch, as)), blas_matrix<T>(b, batch_offset(i, batch, bs)),
             c + i * m * n, m, n, k, b_row);
    };
    // Many small matrices (attention, [B,H,T,T] x [B,H,T,dh]): each thread takes whole
    // matrices. Inside our parallel region OpenBLAS's OpenMP build runs single-threaded
    // (num_cpu_avail() in its common_thread.h returns 1 when omp_in_parallel();
    // bench_matmul measures it), so threads do not nest. Few large matrices: one call
    // each, and BLAS threads it.
    if (count > 1 && m * n * k <= kSmallGemm)
      parallel_for(count, 1, multiply);
    else
      multiply(0, count);
  });
  return out;
}

// The gradient of one operand: the product x y (dA = dC B^T or dB = A^T dC), summed over
// the batch dims that operand was broadcast over.
Tensor operand_grad(const Tensor& x, const Tensor& y, const Dims& operand_shape) {
  // An operand shared by the whole batch (the Linear weight): fold the batch into the
  // product's inner dim, [M, batch*K] x [batch*K, N], so the one GEMM also does the sum.
  const int64_t count = batch_of(x.shape()).numel();
  if (batch_of(operand_shape).numel() == 1 && count > 1 && batch_of(y.shape()).numel() == count)
    if (std::optional<Tensor> xf = fold_batch(x, -1))
      if (std::optional<Tensor> yf = fold_batch(y, -2)) return reshape(product(*xf, *yf), operand_shape);
  return product(x, y);  // accumulate_grad sums over the broadcast batch dims
}

void check_operands(const Tensor& a, const Tensor& b) {
  QKV_CHECK(a.defined() && b.defined(), "matmul: an operand is undefined");
  QKV_CHECK(a.dim() >= 2 && b.dim() >= 2,
        "matmul: expected operands of 2 or more dims, got {} x {} (1-D operands are not supported: "
        "unsqueeze a vector into a [1,K] or [K,1] matrix)",
        describe(a), describe(b));
  QKV_CHECK(a.is_floating_point() && b.is_floating_point(), "matmul: expected float32 or float64 operands, got {} x {}",
        describe(a), describe(b));
  QKV_CHECK(a.dtype() == b.dtype(), "matmul: operands have different dtypes: {} x {}", describe(a), describe(b));
  QKV_CHECK(a.size(-1) == b.size(-2), "matmul: inner dimensions differ: {} x {}", a.shape().str(), b.shape().str());
  const Dims ba = batch_of(a.shape()), bb = batch_of(b.shape());
  for (int i = 1; i <= std::min(ba.size(), bb.size()); ++i)
    QKV_CHECK(ba.back(i) == bb.back(i) || ba.back(i) == 1 || bb.back(i) == 1,
          "matmul: batch dimensions do not broadcast: {} x {}", a.shape().str(), b.shape().str());
  QKV_CHECK(a.size(-2) <= INT_MAX && a.size(-1) <= INT_MAX && b.size(-1) <= INT_MAX,
        "matmul: matrix dims exceed the BLAS int range: {} x {}", a.shape().str(), b.shape().str());
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  constexpr const char* op = "linear";
  QKV_CHECK(x.defined() && weight.defined() && weight.dim() == 2, "linear: expected weight [out, in], got {}",
        weight.defined() ? describe(weight) : std::string("an undefined tensor"));
  QKV_CHECK(x.dim() >= 2 && x.size(-1) == weight.size(1),
        "linear: input {} does not match weight {} (expected [..., {}] with 2 or more dims)", describe(x),
        describe(weight), weight.size(1));
  QKV_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)),
        "linear: bias {} does not match weight {} (expected [{}])", bias.defined() ? describe(bias) : "", describe(weight),
        weight.size(0));
  QKV_CHECK(x.dtype() == weight.dtype() && (!bias.defined() || bias.dtype() == weight.dtype()),
        "linear: dtypes differ: input {}, weight {}", describe(x), describe(weight));
  check_operands(x, swap_last(weight));
  Tensor out = product(x, swap_last(weight), bias);  // x W^T + b, the bias added by the GEMM
  if (any_requires_grad(x, weight, bias))
    record(op, out, [x, weight, bias, op](const Tensor& g) {
      // y = x W^T + b  =>  dx = dy W,  dW = dy^T x (summed over the batch),  db = sum of dy's rows
      if (x.requires_grad()) accumulate_grad(x, product(g, weight), op);
      if (weight.requires_grad()) accumulate_grad(weight, operand_grad(swap_last(g), x, weight.shape()), op);
      if (bias.defined() && bias.requires_grad()) accumulate_grad(bias, sum_to(g, bias.shape(), op), op);
    });
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b);
  Tensor out = product(a, b);  // C [batch..., M, N]
  if (any_requires_grad(a, b))
    record(kOp, out, [a, b](const Tensor& g) {
      // C = A B  =>  dA = dC B^T [.., M, K],  dB = A^T dC [.., K, N]
      if (a.requires_grad()) accumulate_grad(a, operand_grad(g, swap_last(b), a.shape()), kOp);
      if (b.requires_grad()) accumulate_grad(b, operand_grad(swap_last(a), g, b.shape()), kOp);
    });
  return out;
}

}  // namespace qkv
