#include "dist/fingerprint.h"

#include <zlib.h>

#include <fstream>
#include <limits>

#include "base/error.h"

namespace qkv::dist {

uint32_t crc32_of(const void* data, size_t bytes, uint32_t crc) {
  const auto* p = static_cast<const Bytef*>(data);
  uLong c = crc;
  while (bytes > 0) {  // zlib takes at most uInt bytes per call
    const auto chunk = static_cast<uInt>(std::min<size_t>(bytes, std::numeric_limits<uInt>::max()));
    c = ::crc32(c, p, chunk);
    p += chunk;
    bytes -= chunk;
  }
  return static_cast<uint32_t>(c);
}

uint32_t checksum(const std::vector<Tensor>& tensors) {
  uint32_t crc = 0;
  for (const Tensor& t : tensors) {
    const Tensor c = t.is_contiguous() ? t : t.contiguous();
    crc = crc32_of(c.raw_data(), static_cast<size_t>(c.numel()) * dtype_size(c.dtype()), crc);
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
    crc = crc32_of(block.data(), static_cast<size_t>(in.gcount()), crc);
  }
  return crc;
}

}  // namespace qkv::dist
