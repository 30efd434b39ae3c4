// checkpoint_write PATH N_TENSORS FLOATS_EACH: saves a checkpoint of N_TENSORS float32
// parameters of FLOATS_EACH values, for tests/checkpoint_full_disk.sh, which runs it under
// `ulimit -f` to see what a full disk does to save_checkpoint. Exits 0 when saved, 1 with
// the message on a qkv::Error, 3 on any other exception.
#include <cstdio>
#include <exception>
#include <string>

#include "autograd/autograd.h"
#include "io/checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: checkpoint_write PATH N_TENSORS FLOATS_EACH\n");
    return 2;
  }
  try {
    qkv::Checkpoint c;
    c.config_toml = "[model]\n";
    c.tokenizer_kind = "char";
    int64_t n = std::stoll(argv[2]), each = std::stoll(argv[3]);
    for (int64_t i = 0; i < n; ++i) c.params[fmt::format("p{}", i)] = qkv::full({each}, float(i) + 0.5f);
    qkv::save_checkpoint(argv[1], c);
    return 0;
  } catch (const qkv::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-qkv exception: %s\n", e.what());
    return 3;
  }
}
