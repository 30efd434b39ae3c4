// bench_blas: OpenBLAS vs BLIS sgemm (GFLOP/s) on the GEMMs of a gpt-small training step,
// both libraries loaded side by side with dlopen, whatever QKV_BLAS this build uses.
// Which BLIS sub-configuration runs is BLIS's own choice, or the integer arch id in the
// environment variable BLIS_ARCH_TYPE (0 skx = AVX-512, 3 haswell = AVX2, 25 generic); run
// it once per choice. In a QKV_BLAS=blis build qkv's start-up code has already set 0 on an
// AVX-512 CPU, unless the variable was set. Needs libblis-openmp-dev (or libblis4-openmp).
// Not a test: speed is shown here, never asserted. See bench/README.md.
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "bench/timing.h"

namespace {

// cblas enum values, identical in both libraries' cblas.h.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);

// One BLAS library opened privately (RTLD_DEEPBIND: its own cblas_sgemm, not the other's).
struct BlasLib {
  std::string name;
  void* handle = nullptr;
  SgemmFn sgemm = nullptr;
  std::function<void(int)> set_threads;

  BlasLib(std::string label, const char* path) : name(std::move(label)) {
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!handle) throw std::runtime_error(fmt::format("cannot open {}: {}", path, dlerror()));
    sgemm = reinterpret_cast<SgemmFn>(symbol("cblas_sgemm"));
  }
  void* symbol(const char* s) const {
    void* p = dlsym(handle, s);
    if (!p) throw std::runtime_error(fmt::format("{}: no symbol {}", name, s));
    return p;
  }
};

// A float buffer on a 64-byte boundary, as qkv's allocator gives.
struct Buffer {
  std::unique_ptr<float, decltype(&std::free)> p{nullptr, &std::free};
  explicit Buffer(size_t n) : p(static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64)), &std::free) {}
  float* get() const { return p.get(); }
};

// C[m,n] = op(A) op(B), row-major, with op(A) [m,k] and op(B) [k,n].
struct Gemm {
  std::string label;
  bool trans_a, trans_b;
  int m, k, n;
};

double gflops(const Gemm& g, double seconds) { return 2.0 * g.m * g.n * g.k / seconds * 1e-9; }

void run_row(const Gemm& g, int threads, const std::vector<BlasLib*>& libs, std::mt19937& rng) {
  Buffer a(size_t(g.m) * g.k), b(size_t(g.k) * g.n);
  std::normal_distribution<float> normal;
  std::generate(a.get(), a.get() + size_t(g.m) * g.k, [&] { return normal(rng); });
  std::generate(b.get(), b.get() + size_t(g.k) * g.n, [&] { return normal(rng); });
  const int lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
  std::vector<Buffer> out;
  std::vector<std::function<void()>> calls;
  for (BlasLib* lib : libs) {
    out.emplace_back(size_t(g.m) * g.n);
    float* c = out.back().get();
    calls.push_back([=, &a, &b] {
      lib->sgemm(kRowMajor, g.trans_a ? kTrans : kNoTrans, g.trans_b ? kTrans : kNoTrans, g.m, g.n, g.k, 1.0f,
                 a.get(), lda, b.get(), ldb, 0.0f, c, g.n);
    });
  }
  for (BlasLib* lib : libs) lib->set_threads(threads);
  std::vector<double> t = qkv::bench::interleaved_medians(calls);
  // Same inputs, so the outputs differ only by summation order.
  double diff = 0, scale = 0;
  for (size_t i = 0; i < size_t(g.m) * g.n; ++i) {
    diff = std::max(diff, double(std::fabs(out[0].get()[i] - out[1].get()[i])));
    scale = std::max(scale, double(std::fabs(out[0].get()[i])));
  }
  fmt::print("| {} | {}x{}x{} | {} | {:.1f} | {:.1f} | {:.2f} | {:.1e} |\n", g.label, g.m, g.k, g.n, threads,
             gflops(g, t[0]), gflops(g, t[1]), t[0] / t[1], diff / scale);
}

}  // namespace

int main(int argc, char** argv) {
  // Thread counts to run: the arguments (e.g. `bench_blas 2`), else 1 and 2.
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 2};
  const std::string dir = "/usr/lib/x86_64-linux-gnu/";
  std::unique_ptr<BlasLib> openblas_lib, blis_lib;
  try {
    openblas_lib = std::make_unique<BlasLib>("OpenBLAS", (dir + "openblas-openmp/libopenblas.so.0").c_str());
    blis_lib = std::make_unique<BlasLib>("BLIS", (dir + "blis-openmp/libblis.so.4").c_str());
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_blas: {} (apt-get install libblis-openmp-dev)\n", e.what());
    return 2;
  }
  BlasLib &openblas = *openblas_lib, &blis = *blis_lib;
  openblas.set_threads = reinterpret_cast<void (*)(int)>(openblas.symbol("openblas_set_num_threads"));
  blis.set_threads = reinterpret_cast<void (*)(int64_t)>(blis.symbol("bli_thread_set_num_threads"));  // dim_t
  // BLIS picks its sub-configuration (reading BLIS_ARCH_TYPE) on its first call.
  reinterpret_cast<void (*)()>(blis.symbol("bli_init"))();
  const int arch = reinterpret_cast<int (*)()>(blis.symbol("bli_arch_query_id"))();
  const char* arch_name = reinterpret_cast<const char* (*)(int)>(blis.symbol("bli_arch_string"))(arch);
  fmt::print("OpenBLAS: {} (core {}); BLIS {} sub-configuration {} (BLIS_ARCH_TYPE={}); OPENBLAS_CORETYPE={}, "
             "OMP_NUM_THREADS={}\n\n",
             reinterpret_cast<const char* (*)()>(openblas.symbol("openblas_get_config"))(),
             reinterpret_cast<const char* (*)()>(openblas.symbol("openblas_get_corename"))(),
             reinterpret_cast<const char* (*)()>(blis.symbol("bli_info_get_version_str"))(), arch_name,
             qkv::bench::env_or_unset("BLIS_ARCH_TYPE"), qkv::bench::env_or_unset("OPENBLAS_CORETYPE"),
             qkv::bench::env_or_unset("OMP_NUM_THREADS"));

  // gpt-small: 16 x 256 = 4096 tokens, width 384. A Linear in -> out with W [out, in] runs
  // forward X W^T, and backward dX = dY W and dW = dY^T X.
  std::vector<Gemm> gemms;
  const int tokens = 4096;
  for (auto [in, out, what] : {std::tuple{384, 1152, "qkv proj"}, {384, 1536, "mlp fc"}, {1536, 384, "mlp proj"}}) {
    gemms.push_back({fmt::format("{} fwd X W^T", what), false, true, tokens, in, out});
    gemms.push_back({fmt::format("{} bwd dY W", what), false, false, tokens, out, in});
    gemms.push_back({fmt::format("{} bwd dY^T X", what), true, false, out, tokens, in});
  }
  gemms.push_back({"square", false, false, 1024, 1024, 1024});

  fmt::print("| GEMM | MxKxN | threads | OpenBLAS GFLOP/s | BLIS ({}) GFLOP/s | BLIS / OpenBLAS | max diff / max |C| |\n",
             arch_name);
  fmt::print("|---|---|---|---|---|---|---|\n");
  std::mt19937 rng(42);
  for (int threads : thread_counts)
    for (const Gemm& g : gemms) run_row(g, threads, {&openblas, &blis}, rng);
  return 0;
}
