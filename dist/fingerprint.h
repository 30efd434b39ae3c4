// Checksums that let the ranks of a job check they are the same program on the same data
// (zlib's CRC-32, cpu/checksum.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace qkv::dist {

// Of every tensor's elements in turn: equal only when every value is bit-identical.
uint32_t checksum(const std::vector<Tensor>& tensors);
// Of this program's executable (/proc/self/exe): two builds of qkv differ here.
uint32_t binary_checksum();

}  // namespace qkv::dist
