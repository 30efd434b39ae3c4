// zlib's CRC-32 of a run of bytes, computed in parallel: pieces are summed on the threads
// and joined with crc32_combine, the value of one pass at the speed of all threads. What
// checkpoints store per tensor (io/hdf5_file.h, the value h5py users get from
// zlib.crc32(ds[()].tobytes())) and what data-parallel ranks compare (dist/fingerprint.h).
#pragma once
#include <cstddef>
#include <cstdint>

namespace qkv::cpu {

// The CRC-32 of bytes [data, data + bytes), continuing from `crc` (0 to start).
uint32_t crc32(const void* data, size_t bytes, uint32_t crc = 0);

}  // namespace qkv::cpu
