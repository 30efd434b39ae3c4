// What the update kernels share: one parallel pass over a parameter's elements.
#pragma once
#include <cstdint>

#include "autograd/loops.h"
#include "autograd/parallel.h"

namespace qkv::optim {

// f(i) for every i in [0, n), split statically across threads for large tensors. Each
// element is updated on its own, so results do not depend on the thread count.
template <typename F>
void for_each_element(int64_t n, F&& f) {
  parallel_for(n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

}  // namespace qkv::optim
