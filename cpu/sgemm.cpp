// own_sgemm: one register-tile kernel in a BLIS-style loop nest.
//
//   for each kKc-deep slice of k:
//     for each kNc-wide block of B's columns:  pack B[slice, block] into 64-wide panels
//                                             (it stays in L2 while ...)
//       for each 6 rows of A:                 pack A[6, slice] if A is transposed (L1)
//         for each 64-wide panel of the block: the micro-kernel: C[6, 64] (+)= A[6, slice] B_panel
//
// The micro-kernel keeps its 6 x 64 tile of C in 24 zmm registers, and per step of k
// loads 4 vectors of B and broadcasts 6 values of A: 24 FMAs to 10 loads, so it runs at the
// FMA ports' rate (85-90% of the measured FMA peak with its operands in cache). A row-major
// A is read in place (its 6 rows through their own pointers): each element of A meets only
// n columns, and packing all of A (the first version did) took a third of the kernel's time;
// a transposed A (weight gradients) is packed one 6-row tile at a time, so its strided
// columns are read once per tile rather than once per panel. B is packed when transposed
// (reading it in place would be a gather) and when row-major with enough rows of C to share
// the copy (rows 4 or 6 KiB apart fall into a few cache sets); few rows read it in place.
// Partial tiles are written with masked stores.
#include "cpu/sgemm.h"

#include "cpu/blas_backend.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>

// GCC 12 warns inside its own AVX-512 headers when the shuffles are inlined (their
// _mm512_undefined_ps pass-through operand); a false positive fixed in GCC 13.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qkv {
namespace {

constexpr int kMr = 6;               // rows of the register tile
constexpr int kVectors = 4;          // zmm vectors across the tile
constexpr int kNr = 16 * kVectors;   // columns of the register tile
constexpr int64_t kKc = 384;         // depth of a slice: k of most Linear layers in one pass over C
constexpr int64_t kPackRowMajorBRows = 96;  // fewest rows of C per thread for which packing a row-major B pays
constexpr int64_t kNc = 512;         // columns of B's block: kc x nc floats (768 KiB) fit a 1 MiB L2
constexpr int64_t kSerialWork = int64_t{1} << 18;  // below this many multiply-adds, one thread

// B's packing buffer, one per thread, grown to the largest product seen and then
// reused: steady-state training makes no allocations here.
class PackBuffer {
 public:
  // At least `floats` floats, 64-byte aligned.
  float* reserve(int64_t floats) {
    if (floats > size_) {
      const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
      data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data_) throw std::bad_alloc();
      size_ = floats;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> data_;
  int64_t size_ = 0;
};

PackBuffer& pack_buffer() {
  thread_local PackBuffer buffer;
  return buffer;
}

// The 16 x 16 block r[i][j] (16 vectors) transposed in registers: r[j][i] afterwards.
// Three rounds: interleave 32-bit pairs, then 64-bit pairs, then 128-bit lanes.
__attribute__((target("avx512f"))) void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4g + m], lane l: column 4l + m of rows 4g .. 4g+3.
  for (int g = 0; g < 4; ++g) {
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int m = 0; m < 4; ++m) {  // column 4l + m gathers lane l of u[m], u[4+m], u[8+m], u[12+m]
    const __m512 v0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44), v1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xEE);
    const __m512 w0 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
    const __m512 w1 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xEE);
    r[m] = _mm512_shuffle_f32x4(v0, w0, 0x88);
    r[4 + m] = _mm512_shuffle_f32x4(v0, w0, 0xDD);
    r[8 + m] = _mm512_shuffle_f32x4(v1, w1, 0x88);
    r[12 + m] = _mm512_shuffle_f32x4(v1, w1, 0xDD);
  }
}

// B[p0 .. p0+kc, j0 .. j0+cols] of a transposed B (stored [n, k]: row j of the storage is
// column j of B) into kNr-wide panels laid out [p][c], zero-padded to whole panels: 16 x 16
// blocks read as 16 rows of the storage and written as 16 rows of the panel.
__attribute__((target("avx512f"))) void pack_transposed_b(const SgemmOperand& b, int64_t p0, int64_t kc, int64_t j0,
                                                          int64_t cols, float* dst) {
  for (int64_t q = 0; q < cols; q += kNr) {
    float* d = dst + q * kc;
    for (int64_t c0 = 0; c0 < kNr; c0 += 16) {
      const int64_t live = std::clamp<int64_t>(cols - q - c0, 0, 16);  // storage rows that exist
      for (int64_t p = 0; p < kc; p += 16) {
        const int64_t depth = std::min<int64_t>(16, kc - p);
        const __mmask16 mask = static_cast<__mmask16>((1u << depth) - 1);
        __m512 r[16];
        for (int i = 0; i < 16; ++i)
          r[i] = i < live ? _mm512_maskz_loadu_ps(mask, b.ptr + (j0 + q + c0 + i) * b.ld + p0 + p)
                          : _mm512_setzero_ps();
        transpose16(r);
        for (int64_t i = 0; i < depth; ++i) _mm512_store_ps(d + (p + i) * kNr + c0, r[i]);
      }
    }
  }
}

// The same panels from a row-major B: rows of B sit a whole stored row apart, and at
// strides of 4 or 6 KiB (1024 or 1536 columns) every row of an unpacked panel falls into
// the same few cache sets, so the kernel would fetch B from L3 instead of L2.
__attribute__((target("avx512f"))) void pack_b(const SgemmOperand& b, int64_t p0, int64_t kc, int64_t j0,
                                               int64_t cols, float* dst) {
  for (int64_t q = 0; q < cols; q += kNr) {
    float* d = dst + q * kc;
    for (int64_t c0 = 0; c0 < kNr; c0 += 16) {
      const int64_t live = std::clamp<int64_t>(cols - q - c0, 0, 16);
      const __mmask16 mask = static_cast<__mmask16>((1u << live) - 1);
      const float* src = b.ptr + p0 * b.ld + j0 + q + c0;
      for (int64_t p = 0; p < kc; ++p) _mm512_store_ps(d + p * kNr + c0, _mm512_maskz_loadu_ps(mask, src + p * b.ld));
    }
  }
}

// C[rows, 16 V] (+)= A[rows, kc] B[kc, 16 V], the last of the V vectors of columns masked
// by `last` (the columns that exist). Element (r, p) of A is a[r * row_step + p * k_step],
// row p of B starts at b + p * b_step; rows past `rows` re-read row 0 and are not stored.
// With a bias (and no accumulate), each row of C is bias[16 V] + the product: the same sum,
// rounded the same way, as C filled with the bias and then accumulated into.
template <int V>
__attribute__((target("avx512f"))) void micro_kernel(int64_t kc, const float* a, int64_t row_step, int64_t k_step,
                                                     const float* __restrict b, int64_t b_step, float* c, int64_t ldc,
                                                     bool accumulate, const float* bias, int rows, __mmask16 last) {
  const float* row[kMr];
  for (int r = 0; r < kMr; ++r) row[r] = a + (r < rows ? r : 0) * row_step;
  // C's tile is loaded (accumulate, or a later slice of k) or written after kc steps: fetch
  // its lines now so that the stores do not wait on memory (a weight gradient's C is
  // rewritten once per slice and is out of L2 by then).
  for (int r = 0; r < rows; ++r)
    for (int v = 0; v < V; ++v) __builtin_prefetch(c + r * ldc + 16 * v, 1, 3);
  __m512 acc[kMr][V];
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      bv[v] = _mm512_maskz_loadu_ps(v == V - 1 ? last : __mmask16(0xFFFF), b + p * b_step + 16 * v);
    const int64_t at = p * k_step;
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) {
      const __m512 av = _mm512_set1_ps(row[r][at]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r) {
    if (r >= rows) break;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      float* dst = c + r * ldc + 16 * v;
      const __mmask16 mask = v == V - 1 ? last : __mmask16(0xFFFF);
      __m512 out = acc[r][v];
      if (accumulate)
        out = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dst), out);
      else if (bias)
        out = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, bias + 16 * v), out);
      _mm512_mask_storeu_ps(dst, mask, out);
    }
  }
}

using MicroKernel = void (*)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*, int64_t, bool,
                             const float*, int, __mmask16);
constexpr MicroKernel kKernels[kVectors] = {micro_kernel<1>, micro_kernel<2>, micro_kernel<3>, micro_kernel<4>};

// Rows [i, i + rows) x depth [p0, p0 + kc) of a transposed A (stored [k, m]) into
// dst[p * kPackedAStep + r]: the strided column reads happen once per row tile instead of
// once per column panel, and the kernel's broadcasts then read 32 contiguous bytes per p.
constexpr int64_t kPackedAStep = 8;
__attribute__((target("avx512f,avx512vl"))) void pack_transposed_a(const SgemmOperand& a, int64_t i, int rows,
                                                                   int64_t p0, int64_t kc, float* dst) {
  const __mmask8 mask = static_cast<__mmask8>((1u << rows) - 1);
  for (int64_t p = 0; p < kc; ++p)
    _mm256_store_ps(dst + p * kPackedAStep, _mm256_maskz_loadu_ps(mask, a.ptr + (p0 + p) * a.ld + i));
}

// C[i0 .. i1, j0 .. j1] of the product, all of k, by one thread (the loop nest above): a
// kc x nc block of B stays in L2 while every row tile passes over it, and each row tile's
// 6 x kc slice of A stays in L1 across the block's nc / 64 column panels.
void gemm_block(const SgemmOperand& a, const SgemmOperand& b, float* c, int64_t ldc, int64_t i0, int64_t i1, int64_t j0,
                int64_t j1, int64_t k, bool accumulate, const float* bias) {
  const int64_t cols = j1 - j0;
  // A row-major B is read in place when few row tiles would share its packed copy.
  const bool pack = b.transposed || i1 - i0 >= kPackRowMajorBRows;
  float* packed = pack ? pack_buffer().reserve(std::min(kNc, (cols + kNr - 1) / kNr * kNr) * std::min(k, kKc)) : nullptr;
  alignas(64) float packed_a[kKc * kPackedAStep];  // a transposed A's row tile, see pack_transposed_a
  // The kernel reads element (r, p) of a row tile's slice at a_slice[r * row_step + p * k_step].
  const int64_t row_step = a.transposed ? 1 : a.ld, k_step = a.transposed ? kPackedAStep : 1;
  for (int64_t p0 = 0; p0 < k; p0 += kKc) {
    const int64_t kc = std::min(kKc, k - p0);
    const bool add = accumulate || p0 > 0;  // later slices add to what earlier ones wrote (the bias with the first)
    for (int64_t jc = j0; jc < j1; jc += kNc) {
      const int64_t block_cols = std::min(kNc, j1 - jc);
      if (pack) (b.transposed ? pack_transposed_b : pack_b)(b, p0, kc, jc, block_cols, packed);
      for (int64_t i = i0; i < i1; i += kMr) {
        const int rows = static_cast<int>(std::min<int64_t>(kMr, i1 - i));
        if (a.transposed) pack_transposed_a(a, i, rows, p0, kc, packed_a);
        const float* a_slice = a.transposed ? packed_a : a.ptr + i * a.ld + p0;
        for (int64_t jq = 0; jq < block_cols; jq += kNr) {
          const int64_t live = std::min<int64_t>(kNr, block_cols - jq);
          const int vectors = static_cast<int>((live + 15) / 16);
          const int tail = static_cast<int>(live - 16 * (vectors - 1));
          const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
          const float* b_panel = pack ? packed + jq * kc : b.ptr + p0 * b.ld + jc + jq;
          kKernels[vectors - 1](kc, a_slice, row_step, k_step, b_panel, pack ? kNr : b.ld, c + i * ldc + jc + jq, ldc,
                                add, bias ? bias + jc + jq : nullptr, rows, last);
        }
      }
    }
  }
}

}  // namespace

bool own_sgemm_available() {
  static const bool available = __builtin_cpu_supports("avx512f");
  return available;
}

bool own_sgemm_suits(int64_t m, int64_t n, int64_t k, bool transposed_a) {
  if (m < kOwnSgemmMinRows || n <= 0 || k <= 0 || !own_sgemm_available()) return false;
  if (!blas_sgemm_has_avx512()) return true;  // BLAS runs narrower kernels: ours is faster at every size
  const bool shallow = !transposed_a && k <= kOwnSgemmShallowK;
  return m * n * k <= (shallow ? kOwnSgemmMaxShallowWork : kOwnSgemmMaxWork);
}

void own_sgemm(const SgemmOperand& a, const SgemmOperand& b, float* c, int64_t ldc, int64_t m, int64_t n, int64_t k,
               bool accumulate, const float* bias) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // an empty sum: C = 0 (or the bias), or C unchanged
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) {
        if (bias)
          std::copy(bias, bias + n, c + i * ldc);
        else
          std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
      }
    return;
  }
  const int64_t row_tiles = (m + kMr - 1) / kMr, col_tiles = (n + kNr - 1) / kNr;
  const bool serial = omp_in_parallel() || omp_get_max_threads() == 1 || m * n * k < kSerialWork;
  if (serial) {
    gemm_block(a, b, c, ldc, 0, m, 0, n, k, accumulate, bias);
    return;
  }
  // Split whichever side has more tiles into one contiguous range of tiles per thread;
  // but a weight gradient (A transposed, k the tokens) whose B is wider than C is tall is
  // split by columns, so that each thread packs half of B, the larger operand and cold from
  // memory in a training step, instead of all of it (seq2seq's 1024->256: 1.46 -> 1.6x
  // OpenBLAS in bench_sgemm).
  const bool split_rows = a.transposed && n > m ? false : row_tiles >= col_tiles;
  const int64_t tiles = split_rows ? row_tiles : col_tiles;
  const int threads = static_cast<int>(std::min<int64_t>(omp_get_max_threads(), tiles));
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t first = tiles * t / nt, last = tiles * (t + 1) / nt;
    if (split_rows)
      gemm_block(a, b, c, ldc, std::min(m, first * kMr), std::min(m, last * kMr), 0, n, k, accumulate, bias);
    else
      gemm_block(a, b, c, ldc, 0, m, std::min(n, first * kNr), std::min(n, last * kNr), k, accumulate, bias);
  }
}

}  // namespace qkv
