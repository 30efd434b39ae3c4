// bench_matmul: qkv's matmul (float32, no grad) against a raw cblas_sgemm call on the
// same buffers, at the shapes a small GPT uses, with 1 and 2 threads. Prints Markdown
// tables; see bench/README.md. Not a test: speed is shown here, never asserted.
#include <fmt/format.h>

#include <array>
#include <functional>
#include <vector>

#include "autograd/autograd.h"
#include "cpu/blas_backend.h"
#include "bench/timing.h"

using namespace qkv;

namespace {

double gflops(double flops, double seconds) { return flops / seconds * 1e-9; }

// System allocations made by the allocator while shapes were timed (outputs included):
// the caching allocator should serve every call after the first from its free list.
int64_t g_system_allocs = 0;
int g_shapes_timed = 0;

std::vector<double> time_pair(const std::function<void()>& raw, const std::function<void()>& ours) {
  const int64_t before = allocator::stats().system_allocs;
  std::vector<double> t = bench::interleaved_medians({raw, ours});
  g_system_allocs += allocator::stats().system_allocs - before;
  ++g_shapes_timed;
  return t;
}

void print_row(const std::string& shape, int threads, double flops, double raw_s, double qkv_s) {
  fmt::print("| {} | {} | {:.1f} | {:.1f} | {:.3f} |\n", shape, threads, gflops(flops, raw_s),
             gflops(flops, qkv_s), raw_s / qkv_s);
}

// C[M,N] = A[M,K] B[K,N], all contiguous.
void plain_shape(int64_t m, int64_t k, int64_t n, int threads, Generator& gen) {
  Tensor a = randn({m, k}, gen), b = randn({k, n}, gen), c = Tensor::empty({m, n});
  const float *pa = a.data<float>(), *pb = b.data<float>();
  float* pc = c.data<float>();
  auto raw = [&] { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, pa, k, pb, n, 0.0f, pc, n); };
  auto ours = [&] { Tensor out = matmul(a, b); };  // the caching allocator reuses the block
  auto t = time_pair(raw, ours);
  print_row(fmt::format("{}x{}x{}", m, k, n), threads, 2.0 * m * n * k, t[0], t[1]);
}

// The Linear layer's forward: x[B,T,C] @ W^T with W [out, C] passed as a transposed view.
void linear_shape(int64_t batch, int64_t seq, int64_t in, int64_t out, int threads, Generator& gen) {
  Tensor x = randn({batch, seq, in}, gen), w = randn({out, in}, gen), c = Tensor::empty({batch * seq, out});
  Tensor wt = w.transpose(0, 1);
  const int64_t m = batch * seq;
  const float *px = x.data<float>(), *pw = w.data<float>();
  float* pc = c.data<float>();
  auto raw = [&] { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, out, in, 1.0f, px, in, pw, in, 0.0f, pc, out); };
  auto ours = [&] { Tensor y = matmul(x, wt); };
  auto t = time_pair(raw, ours);
  print_row(fmt::format("Linear [{},{},{}] x W^T, W [{},{}]", batch, seq, in, out, in), threads, 2.0 * m * out * in,
            t[0], t[1]);
}

// Attention's batched product [B,H,T,T] x [B,H,T,dh], against the same matrices as a
// plain loop of sgemm calls (each one threaded by BLAS).
void attention_shape(int64_t b, int64_t h, int64_t t_len, int64_t dh, int threads, Generator& gen) {
  Tensor p = randn({b, h, t_len, t_len}, gen), v = randn({b, h, t_len, dh}, gen), c = Tensor::empty({b, h, t_len, dh});
  const int64_t count = b * h;
  const float *pp = p.data<float>(), *pv = v.data<float>();
  float* pc = c.data<float>();
  auto raw = [&] {
    for (int64_t i = 0; i < count; ++i)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t_len, dh, t_len, 1.0f, pp + i * t_len * t_len, t_len,
                  pv + i * t_len * dh, dh, 0.0f, pc + i * t_len * dh, dh);
  };
  auto ours = [&] { Tensor y = matmul(p, v); };
  auto t = time_pair(raw, ours);
  print_row(fmt::format("attention [{},{},{},{}] x [{},{},{},{}] (raw: sgemm loop)", b, h, t_len, t_len, b, h, t_len, dh),
            threads, 2.0 * count * t_len * t_len * dh, t[0], t[1]);
}

// Does OpenBLAS (OpenMP build) run single-threaded when called inside a parallel region?
// One thread of a 2-thread region calls a large sgemm while the other waits: its speed
// should match the 1-thread figure, not the 2-thread one.
void nested_check(Generator& gen) {
  const int64_t n = 1024;
  Tensor a = randn({n, n}, gen), b = randn({n, n}, gen), c = Tensor::empty({n, n});
  const float *pa = a.data<float>(), *pb = b.data<float>();
  float* pc = c.data<float>();
  auto sgemm = [&] { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, pa, n, pb, n, 0.0f, pc, n); };
  bool in_parallel = false;
  auto inside = [&] {
#pragma omp parallel num_threads(2)
    {
#pragma omp master
      {
        in_parallel = omp_in_parallel();
        sgemm();
      }
    }
  };
  const double flops = 2.0 * n * n * n;
  set_num_threads(1);
  double one = bench::interleaved_medians({sgemm})[0];
  set_num_threads(2);
  auto t = bench::interleaved_medians({sgemm, inside});
  fmt::print("\nOpenBLAS inside an OpenMP parallel region (1024^3 sgemm, omp_in_parallel() = {}):\n\n", in_parallel);
  fmt::print("| call | GFLOP/s |\n|---|---|\n");
  fmt::print("| outside, 1 thread | {:.1f} |\n| outside, 2 threads | {:.1f} |\n", gflops(flops, one), gflops(flops, t[0]));
  fmt::print("| inside a 2-thread region, from one thread | {:.1f} |\n", gflops(flops, t[1]));
}

}  // namespace

int main() {
  NoGradGuard no_grad;
  Generator gen(42);
  fmt::print("BLAS: {}, OPENBLAS_CORETYPE={}, OMP_NUM_THREADS={}\n\n", blas_backend_config(),
             bench::env_or_unset("OPENBLAS_CORETYPE"), bench::env_or_unset("OMP_NUM_THREADS"));
  fmt::print("| shape (MxKxN) | threads | cblas GFLOP/s | qkv GFLOP/s | ratio |\n|---|---|---|---|---|\n");
  const std::vector<std::array<int64_t, 3>> shapes = {
      {768, 128, 128}, {2048, 256, 256}, {2048, 1024, 256}, {1024, 1024, 1024}};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto [m, k, n] : shapes) plain_shape(m, k, n, threads, gen);
    linear_shape(16, 128, 384, 1152, threads, gen);
    attention_shape(16, 6, 256, 64, threads, gen);
  }
  fmt::print("\nCaching allocator: {} system allocations while timing {} shapes (each shape's first call "
             "allocates its output; later calls reuse the cached block).\n",
             g_system_allocs, g_shapes_timed);
  nested_check(gen);
  return 0;
}
