// Random bits as a pure function of (key, index): what lets dropout draw a mask in
// parallel, the same at any thread count, and lets the fused attention recompute its
// dropout mask in backward instead of keeping it.
#pragma once
#include <cmath>
#include <cstdint>

namespace qkv {

// Element i's 53 random bits for the draw keyed by `key` (one generator draw per mask):
// SplitMix64's output function at state key + (i + 1) * gamma, i.e. element i of a
// SplitMix64 stream seeded by key. As a uniform in [0, 1) it is bits * 2^-53.
inline uint64_t keyed_bits(uint64_t key, uint64_t i) {
  uint64_t z = key + (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) >> 11;
}

// keyed_bits(key, i) < drop_threshold(p) with probability p (element i is dropped):
// bits * 2^-53 < p  <=>  bits < ceil(p * 2^53), p * 2^53 being exact in double. Integer
// compares keep the mask loops vectorised.
inline uint64_t drop_threshold(double p) { return static_cast<uint64_t>(std::ceil(p * 0x1.0p53)); }

}  // namespace qkv
