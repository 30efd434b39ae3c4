#include "cpu/allocator.h"

#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include <sys/mman.h>

#include "base/profile.h"

namespace qkv::allocator {
namespace {

constexpr std::size_t kAlign = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;  // x86-64's transparent huge page

struct Cache {
  std::mutex mu;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;  // size class -> blocks
  // Blocks handed out for a smaller request than their class (see allocate): their class.
  std::unordered_map<void*, std::size_t> lent_up;
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

// Returns a free list's blocks (of size class cls) to the system; the caller holds c.mu.
void free_blocks(Cache& c, std::size_t cls, std::vector<void*>& blocks) {
  for (void* p : blocks) std::free(p);
  c.stats.system_frees += static_cast<int64_t>(blocks.size());
  c.stats.bytes_cached -= static_cast<int64_t>(cls * blocks.size());
  blocks.clear();
}

}  // namespace

std::size_t rounded_size(std::size_t bytes) {
  if (bytes <= kAlign) return kAlign;
  // Four classes per octave: 2^k * {1, 1.25, 1.5, 1.75}, each a multiple of 64.
  std::size_t p = std::bit_floor(bytes);
  std::size_t step = std::max<std::size_t>(p / 4, kAlign);
  return (bytes + step - 1) / step * step;
}

// Classes above a request's own that may serve it when its own list is empty: tensors
// whose row count varies from batch to batch (padding skipped, nn/row_subset.h) land in
// neighbouring classes, and without this each class would keep blocks of its own.
constexpr int kClassesUp = 2;

void* allocate(std::size_t bytes) {
  ProfileTimer timer;
  std::size_t size = rounded_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    std::size_t cls = size;
    for (int up = 0; up <= kClassesUp; ++up, cls = rounded_size(cls + 1)) {
      auto it = c.free_lists.find(cls);
      if (it == c.free_lists.end() || it->second.empty()) continue;
      void* p = it->second.back();
      it->second.pop_back();
      if (cls != size) c.lent_up[p] = cls;
      c.stats.cache_hits++;
      c.stats.bytes_cached -= cls;
      c.stats.bytes_in_use += cls;
      c.stats.peak_bytes_in_use = std::max(c.stats.peak_bytes_in_use, c.stats.bytes_in_use);
      return p;
    }
    // Going to the system: first return idle blocks of the classes just below, which a
    // varying shape has left behind (the larger block about to be made can serve their
    // requests later, see above). Fixed shapes stop missing after warm-up, so a steady
    // step never gets here.
    for (auto& [cls, blocks] : c.free_lists)
      if (cls < size && cls * 2 >= size) free_blocks(c, cls, blocks);
  }
  const std::size_t align = size >= kHugePage ? kHugePage : kAlign;
  // posix_memalign, not std::aligned_alloc: a class need not be a multiple of 2 MiB (5 MiB
  // is one), and C11's aligned_alloc requires the size to be a multiple of the alignment
  // (AddressSanitizer reports it). Freed with std::free all the same.
  auto system_alloc = [&] {
    void* q = nullptr;
    return posix_memalign(&q, align, size) == 0 ? q : nullptr;
  };
  void* p = system_alloc();
  if (!p) {
    release_cached();
    p = system_alloc();
    if (!p) throw std::bad_alloc();
  }
  // Blocks of 2 MiB or more start on a 2 MiB boundary and ask for transparent huge pages
  // over their whole 2 MiB pages (the tail stays on small pages, so no memory is added):
  // Debian enables THP on request only ("madvise"), and GEMM packing reads its operands a
  // row (a page or more) apart. gpt-small's step +5% on average over 12 alternating pairs
  // (perf: the VM kernel's pvm_irq_enable 5.1% -> 0.6% of the run; this VM exposes no TLB
  // counters). Advice only: where THP is off, nothing changes.
  if (align == kHugePage) madvise(p, size / kHugePage * kHugePage, MADV_HUGEPAGE);
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
  if (auto lent = c.lent_up.find(p); lent != c.lent_up.end()) {  // back to the class it came from
    size = lent->second;
    c.lent_up.erase(lent);
  }
  c.free_lists[size].push_back(p);
  c.stats.bytes_in_use -= size;
  c.stats.bytes_cached += size;
}

AllocatorStats stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void reset_peak() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.peak_bytes_in_use = c.stats.bytes_in_use;
}

void release_cached() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [size, blocks] : c.free_lists) free_blocks(c, size, blocks);
}

}  // namespace qkv::allocator
