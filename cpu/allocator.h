// A caching allocator for tensor storage. Sizes are rounded up to one of four
// classes per power of two (at most 25% slack) and freed blocks wait on a free list
// of their class, so a steady training step reuses memory instead of calling the
// system. A request whose class has no free block may take one from the next two
// classes up (shapes that vary a little between batches). Every block is 64-byte
// aligned (AVX-512 loads); blocks of 2 MiB or more start on a 2 MiB boundary and are
// advised as transparent huge pages (see allocate).
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/device.h"

namespace qkv {

struct AllocatorStats {
  int64_t system_allocs = 0;   // blocks obtained from the system since start (the test hook)
  int64_t system_frees = 0;    // blocks returned to the system (release_cached)
  int64_t cache_hits = 0;      // requests served from a free list
  int64_t bytes_in_use = 0;    // bytes handed out and not yet freed
  int64_t bytes_cached = 0;    // bytes waiting on free lists
  int64_t peak_bytes_in_use = 0;
};

namespace allocator {
void* allocate(std::size_t bytes);
void deallocate(void* p, std::size_t bytes);  // bytes: the size passed to allocate
AllocatorStats stats();
void release_cached();  // return every cached block to the system
void reset_peak();      // peak_bytes_in_use starts again from bytes_in_use (to measure one step)
std::size_t rounded_size(std::size_t bytes);  // the size class a request lands in
}  // namespace allocator

// Shared storage of a tensor: views hold the same Storage through shared_ptr. Its device
// says whose kernels may touch the block (autograd/dispatch.h); blocks from this allocator
// are host memory, Device::cpu.
class Storage {
 public:
  explicit Storage(std::size_t bytes) : data_(allocator::allocate(bytes)), bytes_(bytes) {}
  ~Storage() { allocator::deallocate(data_, bytes_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_;
  std::size_t bytes_;
  Device device_ = Device::cpu;
};

}  // namespace qkv
