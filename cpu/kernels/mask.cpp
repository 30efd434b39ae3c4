#include "cpu/kernels/mask.h"

#include "cpu/parallel.h"

namespace qkv::cpu {

void fill_causal_mask(Backend, int64_t rows, int64_t cols, int64_t k, int32_t* p) {
  parallel_for(rows, row_grain(cols), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      for (int64_t j = 0; j < cols; ++j) p[i * cols + j] = j > i + k ? 1 : 0;
  });
}

}  // namespace qkv::cpu
