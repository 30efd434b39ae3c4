// Mask builders.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv::cpu {

// out [rows, cols] int32: 1 where col > row + k (the positions a causal mask hides), else 0.
void fill_causal_mask(Backend, int64_t rows, int64_t cols, int64_t k, int32_t* out);

}  // namespace qkv::cpu
