#include "cpu/checksum.h"

#include <zlib.h>

#include <algorithm>
#include <vector>

#include "cpu/parallel.h"

namespace qkv::cpu {

uint32_t crc32(const void* data, size_t bytes, uint32_t crc) {
  constexpr size_t kPiece = size_t{1} << 18;
  const auto* p = static_cast<const Bytef*>(data);
  const auto pieces = static_cast<int64_t>((bytes + kPiece - 1) / kPiece);
  auto length = [&](int64_t i) { return std::min(kPiece, bytes - static_cast<size_t>(i) * kPiece); };
  std::vector<uLong> crcs(static_cast<size_t>(pieces));
  parallel_for(pieces, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) crcs[static_cast<size_t>(i)] = crc32_z(0, p + i * kPiece, length(i));
  });
  uLong out = crc;
  for (int64_t i = 0; i < pieces; ++i) out = crc32_combine(out, crcs[static_cast<size_t>(i)], static_cast<z_off_t>(length(i)));
  return static_cast<uint32_t>(out);
}

}  // namespace qkv::cpu
