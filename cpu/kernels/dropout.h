// The dropout mask over n contiguous elements: mask[i] = 0 when keyed_bits(key, first + i) <
// threshold (element i is dropped), else scale = 1 / (1 - p). Element i's bits are a pure
// function of (key, i), so threads fill the mask in parallel and any thread count gives the
// same mask. `first`: the global index of element 0 (base/batch_slice.h). T is float or double.
#pragma once
#include <cstdint>

#include "cpu/kernels/backend.h"

namespace qkv::cpu {

template <typename T>
void dropout_mask(Backend, int64_t n, uint64_t key, uint64_t first, uint64_t threshold, T scale, T* mask);

}  // namespace qkv::cpu
