// bench_kernels: memory bandwidth of qkv's elementwise and row kernels (forward only,
// float32, no grad) against memcpy moving the same number of bytes, with 1 and 2
// threads. Tensors of ~8M elements (32 MiB each) so that nothing fits in cache.
// Prints a Markdown table; see bench/README.md. Not a test: nothing is asserted.
#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "bench/timing.h"

using namespace qkv;

namespace {

constexpr int64_t kElements = int64_t{8} << 20;

struct Kernel {
  std::string name;
  int64_t bytes_moved;         // bytes the op must read plus bytes it must write
  std::function<void()> run;   // one forward call; its result is dropped (the allocator keeps the block)
};

// memcpy of bytes/2 (read bytes/2, write bytes/2), split over the threads like our kernels.
void parallel_memcpy(char* dst, const char* src, int64_t bytes) {
  const int64_t block = 1 << 16;
  parallel_for((bytes + block - 1) / block, 1, [&](int64_t b, int64_t e) {
    int64_t lo = b * block, hi = std::min(bytes, e * block);
    std::memcpy(dst + lo, src + lo, hi - lo);
  });
}

}  // namespace

int main() {
  NoGradGuard no_grad;
  Generator gen(7);
  const int64_t f = sizeof(float);
  const int64_t ln_rows = kElements / 384;

  Tensor a = randn({kElements}, gen), b = randn({kElements}, gen);
  Tensor s256 = randn({kElements / 256, 256}, gen), s1024 = randn({kElements / 1024, 1024}, gen);
  Tensor x_ln = randn({ln_rows, 384}, gen), w_ln = ones({384}), b_ln = zeros({384});

  const std::vector<Kernel> kernels = {
      {"add (a+b)", 3 * kElements * f, [&] { Tensor y = a + b; }},
      {"gelu (erf)", 2 * kElements * f, [&] { Tensor y = gelu(a); }},
      {"gelu (tanh)", 2 * kElements * f, [&] { Tensor y = gelu(a, GeluApprox::tanh); }},
      {"softmax, last dim 256", 2 * kElements * f, [&] { Tensor y = softmax(s256, -1); }},
      {"softmax, last dim 1024", 2 * kElements * f, [&] { Tensor y = softmax(s1024, -1); }},
      {"layer_norm, D=384", 2 * ln_rows * 384 * f + 2 * 384 * f, [&] { Tensor y = layer_norm(x_ln, w_ln, b_ln); }},
  };

  int64_t max_bytes = 0;
  for (const Kernel& k : kernels) max_bytes = std::max(max_bytes, k.bytes_moved);
  Tensor src = Tensor::empty({max_bytes / 2}, DType::f32), dst = Tensor::empty({max_bytes / 2}, DType::f32);
  fill_(src, 1.0);
  fill_(dst, 0.0);

  fmt::print("OPENBLAS_CORETYPE={}, OMP_NUM_THREADS={}, {} float32 elements per tensor\n\n",
             bench::env_or_unset("OPENBLAS_CORETYPE"), bench::env_or_unset("OMP_NUM_THREADS"), kElements);
  fmt::print("| kernel | threads | bytes moved | qkv GB/s | memcpy GB/s | ratio |\n|---|---|---|---|---|---|\n");
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Kernel& k : kernels) {
      auto copy = [&] {
        parallel_memcpy(static_cast<char*>(dst.raw_data()), static_cast<const char*>(src.raw_data()), k.bytes_moved / 2);
      };
      auto t = bench::interleaved_medians({k.run, copy});
      double ours = k.bytes_moved / t[0] * 1e-9, mem = k.bytes_moved / t[1] * 1e-9;
      fmt::print("| {} | {} | {:.1f} MB | {:.1f} | {:.1f} | {:.2f} |\n", k.name, threads, k.bytes_moved * 1e-6, ours,
                 mem, ours / mem);
    }
  }
  return 0;
}
