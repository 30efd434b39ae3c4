#include "cpu/kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/parallel.h"

namespace qkv::cpu {

template <typename T>
void sum_rows(Backend, const T* x, T* out, int64_t rows, int64_t len, double scale) {
  parallel_for(rows, row_grain(len, 32768), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* row = x + i * len;
      double acc = 0;
      for (int64_t j = 0; j < len; ++j) acc += row[j];
      out[i] = static_cast<T>(acc * scale);
    }
  });
}

// Every thread streams whole rows (splitting the columns instead had each thread read half
// of every row, which the hardware prefetchers follow poorly: gpt-small's bias gradients ran
// at a fifth of memory speed).
template <typename T>
void sum_columns(Backend, const T* x, T* out, int64_t outer, int64_t cols, double scale) {
  constexpr int64_t kBlockRows = 256;
  const int64_t blocks = std::max<int64_t>(1, (outer + kBlockRows - 1) / kBlockRows);
  std::vector<double> partial(static_cast<size_t>(blocks * cols), 0.0);
  const int64_t block_grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(kBlockRows * cols, 1));
  parallel_for(blocks, block_grain, [&](int64_t b, int64_t e) {
    for (int64_t blk = b; blk < e; ++blk) {
      double* acc = partial.data() + blk * cols;
      for (int64_t r = blk * kBlockRows; r < std::min(outer, (blk + 1) * kBlockRows); ++r) {
        const T* row = x + r * cols;
        for (int64_t k = 0; k < cols; ++k) acc[k] += row[k];
      }
    }
  });
  parallel_for(cols, std::max<int64_t>(16, 32768 / blocks), [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      double total = 0;
      for (int64_t blk = 0; blk < blocks; ++blk) total += partial[blk * cols + k];
      out[k] = static_cast<T>(total * scale);
    }
  });
}

template <typename T>
void var_rows(Backend, const T* x, T* var, T* mean, int64_t rows, int64_t len, double denom) {
  parallel_for(rows, row_grain(len), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* row = x + i * len;
      double s = 0;
      for (int64_t j = 0; j < len; ++j) s += row[j];
      double m = s / static_cast<double>(len), ss = 0;
      for (int64_t j = 0; j < len; ++j) ss += (row[j] - m) * (row[j] - m);
      var[i] = static_cast<T>(ss / denom);
      mean[i] = static_cast<T>(m);
    }
  });
}

template <typename T>
void max_rows(Backend, const T* x, T* values, int64_t* indices, int64_t rows, int64_t len) {
  parallel_for(rows, row_grain(len), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* row = x + i * len;
      int64_t best = 0;
      for (int64_t j = 1; j < len; ++j) {
        if (std::isnan(row[best])) break;  // NaN wins, as in PyTorch
        if (row[j] > row[best] || std::isnan(row[j])) best = j;
      }
      values[i] = row[best];
      indices[i] = best;
    }
  });
}

template <typename T>
void max_rows_backward(Backend, const T* g, const int64_t* indices, T* gx, int64_t rows, int64_t len) {
  for (int64_t i = 0; i < rows; ++i) gx[i * len + indices[i]] = g[i];
}

template <typename T>
double sum_of_squares(Backend, const T* x, int64_t n) {
  // Elements per partial sum. Fixed (not per thread), so the order of additions never
  // depends on how many threads run.
  constexpr int64_t kBlock = 4096;
  constexpr int kLanes = 8;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks);
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      // kLanes independent sums (vectorisable, in a fixed order), added up at the end.
      double lane[kLanes] = {};
      int64_t i = k * kBlock;
      const int64_t end = std::min(n, i + kBlock);
      for (; i + kLanes <= end; i += kLanes)
        for (int j = 0; j < kLanes; ++j) lane[j] += static_cast<double>(x[i + j]) * static_cast<double>(x[i + j]);
      for (; i < end; ++i) lane[0] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
      double s = 0;
      for (double l : lane) s += l;
      partial[k] = s;
    }
  });
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

#define QKV_REDUCE_KERNELS(T)                                                              \
  template void sum_rows<T>(Backend, const T*, T*, int64_t, int64_t, double);              \
  template void sum_columns<T>(Backend, const T*, T*, int64_t, int64_t, double);           \
  template void var_rows<T>(Backend, const T*, T*, T*, int64_t, int64_t, double);          \
  template void max_rows<T>(Backend, const T*, T*, int64_t*, int64_t, int64_t);            \
  template void max_rows_backward<T>(Backend, const T*, const int64_t*, T*, int64_t, int64_t); \
  template double sum_of_squares<T>(Backend, const T*, int64_t);
QKV_REDUCE_KERNELS(float)
QKV_REDUCE_KERNELS(double)
#undef QKV_REDUCE_KERNELS

}  // namespace qkv::cpu
