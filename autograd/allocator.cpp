#include "autograd/allocator.h"

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "autograd/profile.h"

namespace qkv::allocator {
namespace {

constexpr std::size_t kAlign = 64;

struct Cache {
  std::mutex mu;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;  // size class -> blocks
  AllocatorStats stats;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: storage may outlive static destructors
  return *c;
}

// Times one allocator call for the profiler (nothing when it is off).
struct ProfileTimer {
  int64_t start = profile::enabled() ? profile::now_ns() : -1;
  ~ProfileTimer() {
    if (start >= 0) profile::add_allocator_ns(profile::now_ns() - start);
  }
};

}  // namespace

std::size_t rounded_size(std::size_t bytes) {
  if (bytes <= kAlign) return kAlign;
  // Four classes per octave: 2^k * {1, 1.25, 1.5, 1.75}, each a multiple of 64.
  std::size_t p = std::bit_floor(bytes);
  std::size_t step = std::max<std::size_t>(p / 4, kAlign);
  return (bytes + step - 1) / step * step;
}

void* allocate(std::size_t bytes) {
  ProfileTimer timer;
  std::size_t size = rounded_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(size);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.stats.cache_hits++;
      c.stats.bytes_cached -= size;
      c.stats.bytes_in_use += size;
      c.stats.peak_bytes_in_use = std::max(c.stats.peak_bytes_in_use, c.stats.bytes_in_use);
      return p;
    }
  }
  void* p = std::aligned_alloc(kAlign, size);
  if (!p) {
    release_cached();
    p = std::aligned_alloc(kAlign, size);
    if (!p) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.system_allocs++;
  c.stats.bytes_in_use += size;
  c.stats.peak_bytes_in_use = std::max(c.stats.peak_bytes_in_use, c.stats.bytes_in_use);
  return p;
}

void deallocate(void* p, std::size_t bytes) {
  if (!p) return;
  ProfileTimer timer;
  std::size_t size = rounded_size(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.free_lists[size].push_back(p);
  c.stats.bytes_in_use -= size;
  c.stats.bytes_cached += size;
}

AllocatorStats stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void release_cached() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free_lists) {
    for (void* p : blocks) std::free(p);
    c.stats.system_frees += static_cast<int64_t>(blocks.size());
    c.stats.bytes_cached -= static_cast<int64_t>(size * blocks.size());
    blocks.clear();
  }
}

}  // namespace qkv::allocator
