// The elementwise engine's loop: out[i] = f(in0[i], in1[i], ...) over every position of
// `shape`, each operand read through its own strides (in elements; 0 along broadcast dims)
// and the output written through out_strides. Adjacent dims that are contiguous in every
// operand are merged first, so the common case is one flat, vectorisable loop, split over
// threads by position (parallel_for, kElementwiseGrain). A template in a header so that f,
// the op's lambda, is inlined into the loop.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <tuple>
#include <utility>

#include "base/dims.h"
#include "cpu/fast_math.h"
#include "cpu/kernels/backend.h"
#include "cpu/parallel.h"

namespace qkv {

// One input of the engine: a typed base pointer and strides aligned to the output rank.
template <typename T>
struct Operand {
  const T* ptr;
  Dims strides;
};

// Elements per thread chunk of the elementwise loops (and of the optimizers' updates).
inline constexpr int64_t kElementwiseGrain = 16384;

}  // namespace qkv

namespace qkv::cpu {

template <typename TOut, typename F, typename... TIn>
void elementwise_strided(Backend, TOut* out, const Dims& out_strides, const Dims& shape, F&& f,
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
void elementwise(Backend backend, TOut* out, const Dims& shape, F&& f, const Operand<TIn>&... ins) {
  elementwise_strided(backend, out, contiguous_strides(shape), shape, f, ins...);
}

// out[i] = f(in0[i], in1[i], ...) over n contiguous floats, for compute-heavy f (the
// activations): blocks of 64 elements, each input prefetched ahead (without it these loops
// wait on memory; see fast::prefetch_ahead).
template <typename F, typename... Inputs>
void stream_elementwise(Backend, int64_t n, float* out, F&& f, const Inputs*... inputs) {
  float* o = out;
  const float* in[] = {inputs...};
  constexpr int64_t kBlock = 64;
  parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += kBlock) {
      for (const float* p : in) fast::prefetch_ahead(p + i, kBlock);
      const int64_t end = std::min(e, i + kBlock);
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        for (int64_t j = i; j < end; ++j) o[j] = f(in[K][j]...);
      }(std::index_sequence_for<Inputs...>{});
    }
  });
}

}  // namespace qkv::cpu
