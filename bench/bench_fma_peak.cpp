// bench_fma_peak: the float32 FMA throughput this machine actually delivers, as opposed
// to a data-sheet figure (docs/design.md section 8: 537 GFLOP/s is a Zen 5's): every thread runs 12
// independent chains of 512-bit FMAs on registers (no memory traffic), and the best of 5
// runs is printed as GFLOP/s (2 flops per lane per FMA). Under sustained AVX-512 load the
// clock drops, which this includes. bench/run.sh prints the share of both peaks.
//   bench_fma_peak [threads]      (default 2) prints the GFLOP/s, one number
#include <fmt/format.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace {

constexpr int kChains = 12;  // more than the FMA latency x ports (4 x 2), so no chain waits

__attribute__((target("avx512f"))) float fma_chains(long iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + 1e-3f * static_cast<float>(i));
  const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iterations; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], scale, shift);
  float sum = 0;
  for (int i = 0; i < kChains; ++i) sum += _mm512_reduce_add_ps(acc[i]);
  return sum;  // used, so the loop is not optimised away
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  if (!__builtin_cpu_supports("avx512f")) {
    fmt::print(stderr, "bench_fma_peak: this CPU has no AVX-512F\n");
    return 1;
  }
  constexpr long kIterations = 100'000'000;  // per thread: ~1 s at 4 GHz
  double best = 0, sink = 0;
  for (int run = 0; run < 5; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += fma_chains(kIterations);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 2.0 * 16 * kChains * static_cast<double>(kIterations) * threads / seconds * 1e-9);
  }
  if (sink == 0.123) fmt::print(" ");  // keeps sink alive
  fmt::print("{:.0f}\n", best);
  return 0;
}
