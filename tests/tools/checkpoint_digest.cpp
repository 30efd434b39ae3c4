// checkpoint_digest FILE: one line per parameter and optimizer-state tensor, "name hash"
// (FNV-1a over the raw bytes), then the step. Two checkpoints with the same lines hold
// bit-identical training state; the soak test compares an interrupted run with an
// uninterrupted one this way (HDF5 files themselves differ in their object timestamps).
#include <fmt/core.h>

#include <cstdint>
#include <exception>

#include "io/checkpoint.h"

namespace {
uint64_t fnv1a(const qkv::Tensor& t) {
  const qkv::Tensor c = t.contiguous();
  const auto* bytes = static_cast<const unsigned char*>(c.raw_data());
  uint64_t h = 1469598103934665603ULL;
  for (int64_t i = 0; i < c.numel() * static_cast<int64_t>(qkv::dtype_size(c.dtype())); ++i)
    h = (h ^ bytes[i]) * 1099511628211ULL;
  return h;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: checkpoint_digest FILE\n");
    return 2;
  }
  try {
    const qkv::Checkpoint c = qkv::load_checkpoint(argv[1]);
    for (const auto& [name, t] : c.params) fmt::print("params/{} {:016x}\n", name, fnv1a(t));
    for (const auto& [name, state] : c.optim)
      for (const auto& [key, t] : state) fmt::print("optim/{}/{} {:016x}\n", name, key, fnv1a(t));
    fmt::print("step {}\n", c.step);
  } catch (const std::exception& e) {
    fmt::print(stderr, "checkpoint_digest: {}\n", e.what());
    return 2;
  }
  return 0;
}
