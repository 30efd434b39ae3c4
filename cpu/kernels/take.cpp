#include "cpu/kernels/take.h"

#include <algorithm>

#include "cpu/parallel.h"

namespace qkv::cpu {

template <typename T>
void take(Backend, const T* x, T* out, const TakeLayout& p) {
  parallel_for(p.outer * p.K, row_grain(p.inner),
               [&](int64_t b, int64_t e) {
                 for (int64_t r = b; r < e; ++r) {
                   int64_t o = r / p.K, k = r % p.K;
                   T* dst = out + r * p.inner;
                   const T* src = x + p.source_outer[o];
                   if (p.inner_contiguous && !p.per_element) {  // one row copy
                     const T* row = src + p.index(o, k, 0) * p.dim_stride;
                     std::copy(row, row + p.inner, dst);
                     continue;
                   }
                   for (int64_t c = 0; c < p.inner; ++c)
                     dst[c] = src[p.index(o, k, c) * p.dim_stride + p.source_inner[c]];
                 }
               });
}

template <typename T>
void put_add(Backend, T* gx, const T* g, const TakeLayout& p) {
  parallel_for(p.outer * p.inner, row_grain(p.K, 32768),
               [&](int64_t b, int64_t e) {
                 for (int64_t o = b / p.inner; o * p.inner < e; ++o) {
                   int64_t c0 = std::max(b, o * p.inner) - o * p.inner;
                   int64_t c1 = std::min(e, (o + 1) * p.inner) - o * p.inner;
                   T* dst = gx + p.source_outer[o];
                   for (int64_t k = 0; k < p.K; ++k) {
                     const T* src = g + (o * p.K + k) * p.inner;
                     if (p.inner_contiguous && !p.per_element) {  // one row add, vectorised
                       T* row = dst + p.index(o, k, 0) * p.dim_stride;
                       for (int64_t c = c0; c < c1; ++c) row[c] += src[c];
                       continue;
                     }
                     for (int64_t c = c0; c < c1; ++c) dst[p.index(o, k, c) * p.dim_stride + p.source_inner[c]] += src[c];
                   }
                 }
               });
}

template <typename T>
void copy_rows(Backend, const T* src, T* dst, const int64_t* source_of, int64_t rows, int64_t width) {
  parallel_for(rows, row_grain(width), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      if (source_of[r] >= 0)
        std::copy(src + source_of[r] * width, src + (source_of[r] + 1) * width, dst + r * width);
      else
        std::fill(dst + r * width, dst + (r + 1) * width, T(0));
    }
  });
}

#define QKV_TAKE_KERNELS(T)                                               \
  template void take<T>(Backend, const T*, T*, const TakeLayout&);        \
  template void put_add<T>(Backend, T*, const T*, const TakeLayout&);     \
  template void copy_rows<T>(Backend, const T*, T*, const int64_t*, int64_t, int64_t);
QKV_TAKE_KERNELS(float)
QKV_TAKE_KERNELS(double)
#undef QKV_TAKE_KERNELS

}  // namespace qkv::cpu
