#include "dist/fingerprint.h"

#include <fstream>

#include "base/error.h"
#include "cpu/checksum.h"

namespace qkv::dist {

uint32_t checksum(const std::vector<Tensor>& tensors) {
  uint32_t crc = 0;
  for (const Tensor& t : tensors) {
    const Tensor c = t.is_contiguous() ? t : t.contiguous();
    crc = cpu::crc32(c.raw_data(), static_cast<size_t>(c.numel()) * dtype_size(c.dtype()), crc);
  }
  return crc;
}

uint32_t binary_checksum() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  QKV_CHECK(static_cast<bool>(in), "cannot read /proc/self/exe to compare the ranks' programs");
  std::vector<char> block(1 << 20);
  uint32_t crc = 0;
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    crc = cpu::crc32(block.data(), static_cast<size_t>(in.gcount()), crc);
  }
  return crc;
}

}  // namespace qkv::dist
