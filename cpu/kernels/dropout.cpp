#include "cpu/kernels/dropout.h"

#include "base/keyed_random.h"
#include "cpu/kernels/elementwise.h"
#include "cpu/parallel.h"

namespace qkv::cpu {

template <typename T>
void dropout_mask(Backend, int64_t n, uint64_t key, uint64_t first, uint64_t threshold, T scale, T* m) {
  parallel_for(n, kElementwiseGrain, [m, key, first, threshold, scale](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) m[i] = keyed_bits(key, first + static_cast<uint64_t>(i)) < threshold ? T(0) : scale;
  });
}

template void dropout_mask<float>(Backend, int64_t, uint64_t, uint64_t, uint64_t, float, float*);
template void dropout_mask<double>(Backend, int64_t, uint64_t, uint64_t, uint64_t, double, double*);

}  // namespace qkv::cpu
