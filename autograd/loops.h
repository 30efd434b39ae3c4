// The elementwise engine: one strided, broadcasting, OpenMP-parallel loop that every
// elementwise op (and many backward formulas) runs through.
//
// Inputs are read through their own strides (0 along broadcast dims), the output is
// a fresh contiguous tensor. Adjacent dims that are contiguous in every operand are
// merged first, so the common case is one flat, vectorisable loop.
#pragma once
#include <array>
#include <tuple>
#include <utility>

#include "cpu/parallel.h"
#include "autograd/tensor.h"

namespace qkv {

// One input of the engine: a typed base pointer and strides aligned to the output rank.
template <typename T>
struct Operand {
  const T* ptr;
  Dims strides;
};

// Strides of t when broadcast to `shape` (NumPy rules; 0 where t is broadcast).
Dims broadcast_strides(const Tensor& t, const Dims& shape, const char* op);

template <typename T>
Operand<T> operand(const Tensor& t, const Dims& shape, const char* op) {
  return {t.data<T>(), broadcast_strides(t, shape, op)};
}

inline constexpr int64_t kElementwiseGrain = 16384;

// out[i] = f(in0[i], in1[i], ...) for every position of `shape`. The output is
// written through out_strides (a view may be a destination, as in copy_).
template <typename TOut, typename F, typename... TIn>
void elementwise_strided(TOut* out, const Dims& out_strides, const Dims& shape, F&& f,
                         const Operand<TIn>&... ins) {
  constexpr int N = sizeof...(TIn) + 1;  // operand 0 is the output
  const int64_t numel = shape.numel();
  if (numel == 0) return;

  // Merge dims from the back when every operand is contiguous across the pair.
  Dims sh;
  std::array<Dims, N> st;
  {
    std::array<const Dims*, N> src{&out_strides, &ins.strides...};
    int r = shape.size();
    sh.push_back(r ? shape[r - 1] : 1);
    for (int k = 0; k < N; ++k) st[k].push_back(r ? (*src[k])[r - 1] : 0);
    for (int d = r - 2; d >= 0; --d) {
      if (shape[d] == 1) continue;  // size-1 dims never move a pointer
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable &= (*src[k])[d] == st[k][0] * sh[0];
      if (mergeable) {
        sh[0] *= shape[d];
      } else {
        sh.insert(0, shape[d]);
        for (int k = 0; k < N; ++k) st[k].insert(0, (*src[k])[d]);
      }
    }
  }
  const int rank = sh.size();
  const int64_t inner = sh[rank - 1];
  std::array<int64_t, N> inner_stride;
  for (int k = 0; k < N; ++k) inner_stride[k] = st[k][rank - 1];
  std::tuple<TOut*, const TIn*...> bases{out, ins.ptr...};

  parallel_for(numel, kElementwiseGrain, [&](int64_t b, int64_t e) {
    // Multi-index of the row that holds flat position b.
    int64_t idx[kMaxDims] = {};
    int64_t rem = b / inner;
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = rem % sh[d];
      rem /= sh[d];
    }
    int64_t col = b % inner;
    while (b < e) {
      int64_t n = std::min(inner - col, e - b);
      auto p = bases;  // (out, in0, in1, ...) at the start of this stretch
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((std::get<K>(p) += col * inner_stride[K]), ...);
        for (int d = 0; d < rank - 1; ++d) ((std::get<K>(p) += idx[d] * st[K][d]), ...);
      }(std::make_index_sequence<N>{});
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        TOut* o = std::get<0>(p);
        if (inner_stride[0] == 1 && ((inner_stride[K + 1] == 1) && ...)) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(std::get<K + 1>(p)[i]...);
        } else {
          const int64_t so = inner_stride[0];
          for (int64_t i = 0; i < n; ++i) o[i * so] = f(std::get<K + 1>(p)[i * inner_stride[K + 1]]...);
        }
      }(std::make_index_sequence<N - 1>{});
      b += n;
      col = 0;
      for (int d = rank - 2; d >= 0; --d) {  // next row
        if (++idx[d] < sh[d]) break;
        idx[d] = 0;
      }
    }
  });
}

// The same with a contiguous output.
template <typename TOut, typename F, typename... TIn>
void elementwise(TOut* out, const Dims& shape, F&& f, const Operand<TIn>&... ins) {
  elementwise_strided(out, contiguous_strides(shape), shape, f, ins...);
}

// New tensor f(a) for a floating tensor; f is a generic lambda, e.g. [](auto x) { return -x; }.
template <typename F>
Tensor unary_map(const Tensor& a, const char* op, F&& f) {
  check_floating(a, op);
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch_float(a.dtype(), op, [&]<typename T>() {
    elementwise(out.data<T>(), a.shape(), f, operand<T>(a, a.shape(), op));
  });
  return out;
}

// New tensor f(a, b) with broadcasting; both floating, same dtype.
template <typename F>
Tensor binary_map(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  check_floating(a, op);
  check_same_dtype(a, b, op);
  Dims shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch_float(a.dtype(), op, [&]<typename T>() {
    elementwise(out.data<T>(), shape, f, operand<T>(a, shape, op), operand<T>(b, shape, op));
  });
  return out;
}

// New tensor f(a, b, c) with broadcasting; all floating, same dtype.
template <typename F>
Tensor ternary_map(const Tensor& a, const Tensor& b, const Tensor& c, const char* op, F&& f) {
  check_floating(a, op);
  check_same_dtype(a, b, op);
  check_same_dtype(a, c, op);
  Dims shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), op), c.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch_float(a.dtype(), op, [&]<typename T>() {
    elementwise(out.data<T>(), shape, f, operand<T>(a, shape, op), operand<T>(b, shape, op),
                operand<T>(c, shape, op));
  });
  return out;
}

}  // namespace qkv
