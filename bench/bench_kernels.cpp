// bench_kernels: memory bandwidth of qkv's elementwise and row kernels (forward and
// backward, float32) against memcpy moving the same number of bytes, with 1 and 2
// threads. Tensors of ~8M elements (32 MiB each) so that nothing fits in cache.
// Prints a Markdown table; see bench/README.md. Not a test: nothing is asserted.
// Usage: bench_kernels [NAME_PART]   (only the kernels whose name contains NAME_PART)
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
constexpr int64_t kF = sizeof(float);

struct Kernel {
  std::string name;
  int64_t bytes_moved;         // bytes the op must read plus bytes it must write
  std::function<void()> run;   // one call; its result is dropped (the allocator keeps the block)
};

// memcpy of bytes/2 (read bytes/2, write bytes/2), split over the threads like our kernels.
void parallel_memcpy(char* dst, const char* src, int64_t bytes) {
  const int64_t block = 1 << 16;
  parallel_for((bytes + block - 1) / block, 1, [&](int64_t b, int64_t e) {
    int64_t lo = b * block, hi = std::min(bytes, e * block);
    std::memcpy(dst + lo, src + lo, hi - lo);
  });
}

// The backward kernel of one op alone. Records op(x) once, x a non-leaf copy of `data`
// (so the kernel's gradient is stored as x's gradient, not copied into it); each call
// then replays that one tape entry with a fixed output gradient. `params` (leaves such
// as a norm's weight) have their gradients dropped before each call, like x's.
std::function<void()> backward_only(const Tensor& data, const std::function<Tensor(const Tensor&)>& op,
                                    std::vector<Tensor> params = {}) {
  Tensor x = data.detach().requires_grad_() * 1.0;  // non-leaf: recorded by mul
  Tensor y = op(x);
  const int64_t entry = tape().size() - 1;
  Generator gen(11);
  Tensor g = y.numel() == 1 ? ones(y.shape()) : randn(y.shape(), gen);
  return [x, g, entry, params] {
    NoGradGuard no_grad;
    x.zero_grad();
    for (const Tensor& p : params) p.zero_grad();
    tape()[entry].backward(g);
  };
}

}  // namespace

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  Generator gen(7);
  const int64_t D = 384, C = 1024;
  const int64_t ln_rows = kElements / D, ce_rows = kElements / C;

  Tensor a = randn({kElements}, gen), b = randn({kElements}, gen);
  Tensor s256 = randn({kElements / 256, 256}, gen), s1024 = randn({kElements / 1024, 1024}, gen);
  Tensor x_ln = randn({ln_rows, D}, gen), w_ln = ones({D}), b_ln = zeros({D});
  Tensor logits = randn({ce_rows, C}, gen, DType::f32, 0.0, 3.0);
  Tensor targets = to_dtype(mul(uniform({ce_rows}, gen), C - 1.0), DType::i64);

  // Bytes per element: f = forward (read x, write y), b = backward (read x or y and dy,
  // write dx); the norms also move their [D] weight (and bias), cross_entropy its targets.
  const int64_t fwd = 2 * kElements * kF, bwd = 3 * kElements * kF;
  const int64_t norm_fwd = 2 * ln_rows * D * kF, norm_bwd = 3 * ln_rows * D * kF;
  const int64_t ce_fwd = ce_rows * C * kF + ce_rows * 8, ce_bwd = 2 * ce_rows * C * kF + ce_rows * 8;

  std::vector<Kernel> kernels;
  {
    NoGradGuard no_grad;
    kernels = {
        {"add (a+b)", 3 * kElements * kF, [&] { Tensor y = a + b; }},
        {"gelu (erf)", fwd, [&] { Tensor y = gelu(a); }},
        {"gelu (tanh)", fwd, [&] { Tensor y = gelu(a, GeluApprox::tanh); }},
        {"softmax, last dim 256", fwd, [&] { Tensor y = softmax(s256, -1); }},
        {"softmax, last dim 1024", fwd, [&] { Tensor y = softmax(s1024, -1); }},
        {"log_softmax, last dim 1024", fwd, [&] { Tensor y = log_softmax(s1024, -1); }},
        {"cross_entropy, C=1024", ce_fwd, [&] { Tensor y = cross_entropy(logits, targets); }},
        {"layer_norm, D=384", norm_fwd + 2 * D * kF, [&] { Tensor y = layer_norm(x_ln, w_ln, b_ln); }},
        {"rms_norm, D=384", norm_fwd + D * kF, [&] { Tensor y = rms_norm(x_ln, w_ln); }},
    };
  }
  Tensor w_req = w_ln.detach().requires_grad_(), b_req = b_ln.detach().requires_grad_();
  const std::vector<Kernel> backward_kernels = {
      {"gelu (erf) backward", bwd, backward_only(a, [](const Tensor& x) { return gelu(x); })},
      {"gelu (tanh) backward", bwd, backward_only(a, [](const Tensor& x) { return gelu(x, GeluApprox::tanh); })},
      {"softmax backward, last dim 1024", bwd, backward_only(s1024, [](const Tensor& x) { return softmax(x, -1); })},
      {"log_softmax backward, last dim 1024", bwd,
       backward_only(s1024, [](const Tensor& x) { return log_softmax(x, -1); })},
      {"cross_entropy backward, C=1024", ce_bwd,
       backward_only(logits, [&](const Tensor& x) { return cross_entropy(x, targets); })},
      {"layer_norm backward, D=384", norm_bwd + 2 * D * kF,
       backward_only(x_ln, [&](const Tensor& x) { return layer_norm(x, w_req, b_req); }, {w_req, b_req})},
      {"rms_norm backward, D=384", norm_bwd + D * kF,
       backward_only(x_ln, [&](const Tensor& x) { return rms_norm(x, w_req); }, {w_req})},
  };
  kernels.insert(kernels.end(), backward_kernels.begin(), backward_kernels.end());

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
      if (k.name.find(only) == std::string::npos) continue;
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
