// Indexing along one dim (embedding, index_select, gather, scatter_rows). A "take along
// dim" is seen as [outer, K, inner]: the output (or the gradient g) is contiguous
// [outer, K, inner]; the source (x, or the gradient buffer gx) is read or written at
// element source_outer[o] + index(o, k, c) * dim_stride + source_inner[c]. T is float
// or double; the indices are int64 and already checked to lie in range.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv {

// Backend-neutral: the offsets arrays and the ids are read by the kernels.
struct TakeLayout {
  int64_t outer = 1, K = 1, inner = 1;
  const int64_t* source_outer = nullptr;  // [outer] element offsets into the source
  const int64_t* source_inner = nullptr;  // [inner]
  int64_t dim_stride = 0;
  // source_inner[c] == c: the source's entries past dim are one contiguous run (rows of
  // an embedding table, of a [rows, d] activation), so whole rows move at once.
  bool inner_contiguous = false;
  // The index that output element (o, k, c) takes: one per element (gather, ids
  // [outer, K, inner]) or one per position k along dim (embedding, index_select, ids [K]).
  const int64_t* ids = nullptr;
  bool per_element = false;
  int64_t index(int64_t o, int64_t k, int64_t c) const { return per_element ? ids[(o * K + k) * inner + c] : ids[k]; }
};

}  // namespace qkv

namespace qkv::cpu {

// out[o, k, c] = x[o, index(o, k, c), c]: parallel over output rows.
template <typename T>
void take(Backend, const T* x, T* out, const TakeLayout& p);

// The backward of take, a scatter-add: gx[o, index(o, k, c), c] += g[o, k, c]. Threads
// split the (outer, inner) plane, so no two threads write the same element, and each walks
// k in order: every sum runs in the same order for any thread count.
template <typename T>
void put_add(Backend, T* gx, const T* g, const TakeLayout& p);

// dst [rows, width] row r = src row source_of[r], or zeros where source_of[r] < 0.
template <typename T>
void copy_rows(Backend, const T* src, T* dst, const int64_t* source_of, int64_t rows, int64_t width);

}  // namespace qkv::cpu
