// A zero-filled buffer from the caching allocator for a kernel's partial sums: the same
// block sizes a Tensor of n elements would take, so steady steps still reuse memory.
#pragma once
#include <algorithm>
#include <cstdint>

#include "cpu/allocator.h"
#include "cpu/parallel.h"

namespace qkv::cpu {

template <typename T>
class ZeroedScratch {
 public:
  explicit ZeroedScratch(int64_t n)
      : bytes_(static_cast<std::size_t>(std::max<int64_t>(n, 1)) * sizeof(T)),
        data_(static_cast<T*>(allocator::allocate(bytes_))) {
    T* p = data_;
    parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, T(0)); });
  }
  ~ZeroedScratch() { allocator::deallocate(data_, bytes_); }
  ZeroedScratch(const ZeroedScratch&) = delete;
  ZeroedScratch& operator=(const ZeroedScratch&) = delete;
  T* data() const { return data_; }

 private:
  std::size_t bytes_;
  T* data_;
};

}  // namespace qkv::cpu
