// scaled_dot_attention: per (batch, head), in blocks of query rows, BLAS computes the
// scores straight into a probability buffer, normalize_rows (attention_normalize.h,
// kernels in cpu/attention_kernels) turns them into the masked weights in place, and
// BLAS multiplies by the values. Heads are read in place through leading dimensions
// (split_heads' permuted views cost no copy). One tape entry that saves only the
// weights P:
//   S = scale q k^T (+ masks),  P = normalize(S),  O = P v
//   dv = P^T dO,  dP = dO v^T,  dS = the normalisation's backward (keys:
//   P * (dP - rowsum(dP * P)); queries: colsum instead; sigmoid: dP * P * (1 - P)),
//   dq = scale dS k,  dk = scale dS^T q
// Under keys the row kernels round as the composed ops do (softmax's fast::exp and lane
// sums, scaling as a separate multiply): the output and dq have come out bit-identical
// to matmul(softmax(masked_fill(matmul(q, k^T) * scale)), v)'s in our runs; dk and dv
// differ in the last bits (summed over row blocks in another order). queries normalises
// columns, so its one row block is the whole head.
// Grouped-query heads are indexed, not repeated: query head h reads key/value head
// h / (H / Hkv), and the backward runs one thread per (batch, key/value head) so the
// heads of a group add into dk and dv one after another (no races, and the same sums
// in the same order at any thread count).
#include "autograd/ops/attention.h"

#include "cpu/blas_backend.h"
#include "autograd/ops/blas_layout.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <vector>

#include "base/batch_slice.h"
#include "base/keyed_random.h"
#include "cpu/parallel.h"
#include "autograd/ops/accumulate.h"
#include "autograd/ops/attention_normalize.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

constexpr const char* kOp = "scaled_dot_attention";

// Query rows per block (keys and sigmoid; queries takes the whole head). Under a causal
// mask a block multiplies only the keys its last row sees, which skips most of the upper
// triangle (T = S = 256: 62.5% of the full products), and the backward's dP scratch
// stays [64, S], in cache.
constexpr int64_t kRowBlock = 64;

// An uninitialised tensor of `shape` laid out in the dim order of `like`
// (largest stride outermost, the last dim innermost). The output and the gradients come
// in the layout of q, k and v: behind split_heads' permute that is [B, T, H, e], so
// merge_heads and split_heads' backward are views, not copies.
Tensor empty_in_order_of(const Tensor& like, const Dims& shape) {
  std::array<int, 3> order{0, 1, 2};
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return like.stride(a) > like.stride(b); });
  Tensor buf = Tensor::empty({shape[order[0]], shape[order[1]], shape[order[2]], shape[3]}, like.dtype());
  Dims strides{0, 0, 0, 1};
  int64_t s = shape[3];
  for (int i = 2; i >= 0; --i) {
    strides[order[i]] = s;
    s *= shape[order[i]];
  }
  return as_strided(buf, shape, strides, buf.offset());
}

// One matrix operand of a gemm call, as stored: pointer, layout, and the step to its next row.
template <typename T>
struct Matrix {
  const T* ptr;
  CBLAS_TRANSPOSE trans;
  int64_t ld;
  int64_t row_step;
  Matrix from_row(int64_t r) const { return {ptr + r * row_step, trans, ld, row_step}; }
};

template <typename T>
Matrix<T> row_major(const T* p, int64_t ld) {
  return {p, CblasNoTrans, ld, ld};
}

// The (b, h) slices of a 4-D tensor that blas_layout accepts.
template <typename T>
struct Heads {
  T* base = nullptr;
  int64_t batch_stride = 0, head_stride = 0, row_stride = 0;
  BlasLayout layout{CblasNoTrans, 1};

  T* ptr(int64_t b, int64_t h) const { return base + b * batch_stride + h * head_stride; }
  Matrix<T> at(int64_t b, int64_t h) const { return {ptr(b, h), layout.trans, layout.ld, row_stride}; }
  // Row-major rows of an output allocated by empty_in_order_of: its ld is its row stride.
  T* rows(int64_t b, int64_t h, int64_t r) const { return ptr(b, h) + r * row_stride; }
  void zero_rows(int64_t b, int64_t h, int64_t r0, int64_t r1, int64_t cols) const {
    for (int64_t r = r0; r < r1; ++r) std::fill(rows(b, h, r), rows(b, h, r) + cols, T(0));
  }
};

template <typename T>
Heads<T> heads_of(const Tensor& x) {
  if (!x.defined()) return {};
  return {x.data<T>(), x.stride(0), x.stride(1), x.stride(2), *blas_layout(x)};
}

// c[m, n] = op(a) op(b) + beta c, c row-major with leading dimension ldc; op(x) is the
// stored matrix or, with transpose, its transpose. (No alpha: scale is applied in the
// row kernels, rounded as the composed ops round it.)
template <typename T>
void gemm(const Matrix<T>& a, bool transpose_a, const Matrix<T>& b, bool transpose_b, T* c, int64_t ldc, int64_t m,
          int64_t n, int64_t k, T beta) {
  auto flag = [](const Matrix<T>& x, bool transpose) {
    return transpose == (x.trans == CblasNoTrans) ? CblasTrans : CblasNoTrans;
  };
  gemm_into(flag(a, transpose_a), a.ptr, a.ld, flag(b, transpose_b), b.ptr, b.ld, c, ldc, m, n, k, beta != T(0));
}

struct Geometry {
  int64_t B, H, Hkv, T, S, e, ev;
  int64_t row_block = kRowBlock;
  int64_t blocks() const { return (T + row_block - 1) / row_block; }
  int64_t group() const { return H / Hkv; }
  int64_t block_rows(int64_t r0) const { return std::min(row_block, T - r0); }
};

// Dropout on the probabilities, as dropout() would draw it on the [B, H, T, S] weights of
// the composed ops: element (b, h, t, j) kept with probability 1 - p and then scaled, from
// one generator draw (key); the mask is recomputed in backward rather than kept.
struct AttentionDropout {
  bool on = false;
  uint64_t key = 0, threshold = 0;
  double keep_scale = 1;
  uint64_t first = 0;  // the global index of element (0, 0, 0, 0): a data-parallel rank's rows
};

// x[0, n) of row t of head (b, h) times the dropout mask (0 or keep_scale), into out.
template <typename T>
void drop_row(const AttentionDropout& drop, const Geometry& g, int64_t bh, int64_t t, const T* x, T* out, int64_t n) {
  const uint64_t base = drop.first + static_cast<uint64_t>((bh * g.T + t) * g.S), key = drop.key, threshold = drop.threshold;
  const T scale = static_cast<T>(drop.keep_scale);
  for (int64_t j = 0; j < n; ++j) out[j] = keyed_bits(key, base + j) < threshold ? T(0) : x[j] * scale;
}

// Items (row blocks, or heads in backward) per parallel chunk: one per chunk when an item
// is real work, all in one chunk when the whole call is tiny (gradcheck's shapes), where
// waking a second thread costs more than the work.
int64_t attention_grain(int64_t multiply_adds_per_item) {
  constexpr int64_t kMinWork = int64_t{1} << 16;
  return std::max<int64_t>(1, kMinWork / std::max<int64_t>(multiply_adds_per_item, 1));
}

// out = normalize(scale q k^T + masks) v. probs: [B, H, T, S] to keep for backward, or
// null (no grad: each thread works in a [row block, S] scratch instead). In probs, the
// keys past those a row block sees are left unwritten: backward never reads them.
template <typename T>
void attention_forward(const Geometry& g, const RowMasks& masks, const NormalizeOptions& norm, T scale,
                       const AttentionDropout& drop, const Heads<T>& q, const Heads<T>& k, const Heads<T>& v,
                       const Heads<T>& out, T* probs) {
  const int64_t blocks = g.blocks();
  const int64_t grain = attention_grain(std::min<int64_t>(g.row_block, g.T) * g.S * (g.e + g.ev));
  parallel_for(g.B * g.H * blocks, grain, [&](int64_t lo, int64_t hi) {
    std::vector<T> scratch(probs ? 0 : g.row_block * g.S);
    std::vector<T> dropped(drop.on ? g.row_block * g.S : 0);  // the block's probabilities after dropout
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t bh = i / blocks, b = bh / g.H, h = bh % g.H, kv = h / g.group();
      const int64_t r0 = (i % blocks) * g.row_block, rows = g.block_rows(r0);
      const int64_t n = masks.reach(r0 + rows - 1);  // keys the block's last row may see
      T* p = probs ? probs + (bh * g.T + r0) * g.S : scratch.data();
      if (n == 0) {
        out.zero_rows(b, h, r0, r0 + rows, g.ev);
        continue;
      }
      gemm(q.at(b, h).from_row(r0), false, k.at(b, kv), true, p, g.S, rows, n, g.e, T(0));
      normalize_rows(norm, masks, b, r0, rows, p, g.S, n, scale);
      const T* used = p;
      if (drop.on) {
        for (int64_t r = 0; r < rows; ++r) drop_row(drop, g, bh, r0 + r, p + r * g.S, dropped.data() + r * g.S, n);
        used = dropped.data();
      }
      gemm(row_major<T>(used, g.S), false, v.at(b, kv), false, out.rows(b, h, r0), out.row_stride, rows, g.ev, n,
           T(0));
    }
  });
}

// The gradients of q, k and v (each optional: an undefined Heads is skipped) from dO.
template <typename T>
void attention_backward(const Geometry& g, const RowMasks& masks, Normalize norm, T scale,
                        const AttentionDropout& drop, const Heads<T>& q, const Heads<T>& k, const Heads<T>& v,
                        const Heads<T>& d_out, const T* probs, const Heads<T>& dq, const Heads<T>& dk,
                        const Heads<T>& dv) {
  const int64_t grain = attention_grain(g.group() * g.T * g.S * (2 * g.e + 2 * g.ev));
  parallel_for(g.B * g.Hkv, grain, [&](int64_t lo, int64_t hi) {
    std::vector<T> ds(g.row_block * g.S);  // dP, then dS, of one block
    std::vector<T> dropped(drop.on ? g.row_block * g.S : 0);  // the block's probabilities after dropout
    for (int64_t i = lo; i < hi; ++i) {
      const int64_t b = i / g.Hkv, kv = i % g.Hkv;
      // Every query head of the group adds into dk and dv (keys past a block's last row
      // get nothing from it).
      if (dk.base) dk.zero_rows(b, kv, 0, g.S, g.e);
      if (dv.base) dv.zero_rows(b, kv, 0, g.S, g.ev);
      for (int64_t h = kv * g.group(); h < (kv + 1) * g.group(); ++h)
        for (int64_t r0 = 0; r0 < g.T; r0 += g.row_block) {
          const int64_t rows = g.block_rows(r0), n = masks.reach(r0 + rows - 1);
          if (n == 0) {
            if (dq.base) dq.zero_rows(b, h, r0, r0 + rows, g.e);
            continue;
          }
          const int64_t bh = b * g.H + h;
          const Matrix<T> p = row_major(probs + (bh * g.T + r0) * g.S, g.S);
          const Matrix<T> d_o = d_out.at(b, h).from_row(r0);
          // out = dropout(P) v: dv takes the dropped probabilities, dP the mask (recomputed).
          Matrix<T> used = p;
          if (drop.on) {
            for (int64_t r = 0; r < rows; ++r)
              drop_row(drop, g, bh, r0 + r, p.ptr + r * g.S, dropped.data() + r * g.S, n);
            used = row_major<T>(dropped.data(), g.S);
          }
          if (dv.base) gemm(used, true, d_o, false, dv.ptr(b, kv), dv.row_stride, n, g.ev, rows, T(1));
          if (!dq.base && !dk.base) continue;
          gemm(d_o, false, v.at(b, kv), true, ds.data(), n, rows, n, g.ev, T(0));
          if (drop.on)
            for (int64_t r = 0; r < rows; ++r) drop_row(drop, g, bh, r0 + r, ds.data() + r * n, ds.data() + r * n, n);
          normalize_rows_backward(norm, rows, p.ptr, g.S, ds.data(), n, n, scale);
          if (dq.base)
            gemm(row_major<T>(ds.data(), n), false, k.at(b, kv), false, dq.rows(b, h, r0), dq.row_stride, rows, g.e,
                 n, T(0));
          if (dk.base)
            gemm(row_major<T>(ds.data(), n), true, q.at(b, h).from_row(r0), false, dk.ptr(b, kv), dk.row_stride, n,
                 g.e, rows, T(1));
        }
    }
  });
}

Geometry check_inputs(const Tensor& q, const Tensor& k, const Tensor& v) {
  QKV_CHECK(q.defined() && k.defined() && v.defined(), "{}: q, k or v is undefined", kOp);
  QKV_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
        "{}: expected q [B,H,T,e], k [B,Hkv,S,e], v [B,Hkv,S,ev], got {}, {}, {}", kOp, describe(q), describe(k),
        describe(v));
  check_floating(q, kOp);
  check_same_dtype(q, k, kOp);
  check_same_dtype(q, v, kOp);
  const Geometry g{q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3), v.size(3)};
  QKV_CHECK(k.size(0) == g.B && v.size(0) == g.B && v.size(1) == g.Hkv && v.size(2) == g.S && k.size(3) == g.e,
        "{}: shapes do not fit q [B,H,T,e], k [B,Hkv,S,e], v [B,Hkv,S,ev]: {}, {}, {}", kOp, q.shape().str(),
        k.shape().str(), v.shape().str());
  QKV_CHECK(g.Hkv > 0 && g.H % g.Hkv == 0, "{}: q's heads ({}) must be a multiple of k's and v's ({})", kOp, g.H, g.Hkv);
  QKV_CHECK(g.e > 0 && g.ev > 0, "{}: head sizes must be positive, got e = {}, ev = {}", kOp, g.e, g.ev);
  QKV_CHECK(std::max({g.T, g.S, g.e, g.ev}) <= INT_MAX, "{}: matrix dims exceed the BLAS int range: {}, {}", kOp,
        q.shape().str(), k.shape().str());
  return g;
}

}  // namespace

Tensor scaled_dot_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal,
                            int64_t past, const Tensor& key_padding, double dropout_p, Generator* dropout_gen) {
  return scaled_dot_attention(q, k, v, scale, AttentionMask{causal, past, key_padding, Tensor()}, NormalizeOptions{},
                              dropout_p, dropout_gen);
}

Tensor scaled_dot_attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale,
                            const AttentionMask& mask, const NormalizeOptions& normalize, double dropout_p,
                            Generator* dropout_gen) {
  Geometry g = check_inputs(q, k, v);
  if (normalize.kind == Normalize::queries) g.row_block = std::max<int64_t>(g.T, 1);  // columns need every row
  const RowMasks masks = row_masks(mask, g.B, g.T, g.S, kOp);
  QKV_CHECK(dropout_p >= 0.0 && dropout_p < 1.0, "{}: dropout must be in [0, 1), got {}", kOp, dropout_p);
  QKV_CHECK(dropout_p == 0.0 || dropout_gen != nullptr, "{}: dropout {} needs a generator", kOp, dropout_p);
  AttentionDropout drop;
  if (dropout_p > 0.0)
    drop = {true, dropout_gen->next_u64(), drop_threshold(dropout_p), 1.0 / (1.0 - dropout_p),
            batch_slice_element_offset(g.B * g.H * g.T * g.S)};
  const Tensor qr = blas_ready(q), kr = blas_ready(k), vr = blas_ready(v);
  Tensor out = empty_in_order_of(q, {g.B, g.H, g.T, g.ev});
  const bool grad = any_requires_grad(q, k, v);
  const Tensor probs = grad ? Tensor::empty({g.B, g.H, g.T, g.S}, q.dtype()) : Tensor();
  dispatch_float(q.dtype(), kOp, [&]<typename T>() {
    attention_forward<T>(g, masks, normalize, static_cast<T>(scale), drop, heads_of<T>(qr), heads_of<T>(kr),
                         heads_of<T>(vr), heads_of<T>(out), grad ? probs.data<T>() : nullptr);
  });
  if (grad)
    record(kOp, out, [q, k, v, qr, kr, vr, probs, g, masks, kind = normalize.kind, scale,
                      drop](const Tensor& grad_out) {
      const Tensor d_out = blas_ready(grad_out);
      Tensor dq = q.requires_grad() ? empty_in_order_of(q, q.shape()) : Tensor();
      Tensor dk = k.requires_grad() ? empty_in_order_of(k, k.shape()) : Tensor();
      Tensor dv = v.requires_grad() ? empty_in_order_of(v, v.shape()) : Tensor();
      dispatch_float(q.dtype(), kOp, [&]<typename T>() {
        attention_backward<T>(g, masks, kind, static_cast<T>(scale), drop, heads_of<T>(qr), heads_of<T>(kr),
                              heads_of<T>(vr), heads_of<T>(d_out), probs.data<T>(), heads_of<T>(dq), heads_of<T>(dk),
                              heads_of<T>(dv));
      });
      accumulate_grad(q, dq, kOp);
      accumulate_grad(k, dk, kOp);
      accumulate_grad(v, dv, kOp);
    });
  return out;
}

}  // namespace qkv
