// The BLAS backend (CMake's QKV_BLAS): in a BLIS build, qkv's matmul must give OpenBLAS's
// results to float rounding. OpenBLAS is loaded beside BLIS with dlopen (RTLD_DEEPBIND:
// its own cblas_sgemm, not BLIS's). In the default OpenBLAS build only the name is checked.
#include <dlfcn.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>

#include "autograd/autograd.h"
#include "cpu/blas_backend.h"

using namespace qkv;

#ifdef QKV_BLAS_BLIS
namespace {

constexpr const char* kOpenBlasPath = "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0";

// OpenBLAS's cblas_sgemm, opened privately. The cblas enums are ints with the same values
// in both libraries' headers.
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);
SgemmFn openblas_sgemm() {
  static SgemmFn fn = [] {
    void* handle = dlopen(kOpenBlasPath, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    INFO("dlopen " << kOpenBlasPath << ": " << (handle ? "ok" : dlerror()));
    REQUIRE(handle);
    reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"))(1);
    return reinterpret_cast<SgemmFn>(dlsym(handle, "cblas_sgemm"));
  }();
  return fn;
}

Tensor rnd(const Dims& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, gen);
}

// a @ b by OpenBLAS, one row-major NoTrans sgemm per output matrix on contiguous copies.
// Batch dims: equal, or one operand 2-D (shared by every matrix of the other).
std::vector<float> openblas_matmul(const Tensor& a, const Tensor& b) {
  const int m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const std::vector<float> av = a.to_vector<float>(), bv = b.to_vector<float>();
  const int64_t batch = std::max(a.numel() / (m * k), b.numel() / (k * n));
  const int64_t a_step = a.dim() == 2 ? 0 : m * k, b_step = b.dim() == 2 ? 0 : k * n;
  std::vector<float> c(batch * m * n);
  for (int64_t i = 0; i < batch; ++i)
    openblas_sgemm()(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, av.data() + i * a_step, k,
                     bv.data() + i * b_step, n, 0.0f, c.data() + i * m * n, n);
  return c;
}

// matmul(a, b) on this build's BLAS against OpenBLAS: the same sums in another order, so
// they agree to a few float roundings of the largest entry (a wrong transpose, stride or
// thread split would be off by the size of the entries themselves).
void check_against_openblas(const Tensor& a, const Tensor& b) {
  INFO(describe(a) << " strides " << a.strides().str() << " x " << describe(b) << " strides "
                   << b.strides().str() << ", " << num_threads() << " threads");
  const std::vector<float> got = matmul(a, b).to_vector<float>(), want = openblas_matmul(a, b);
  REQUIRE(got.size() == want.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, double(std::fabs(got[i] - want[i])));
    scale = std::max(scale, double(std::fabs(want[i])));
  }
  INFO("max |qkv - OpenBLAS| = " << diff << ", max |C| = " << scale);
  CHECK(diff <= 2e-6 * scale);
}

bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

}  // namespace
#endif

TEST_CASE("blas backend: names the library this build uses", "[blas]") {
  const std::string name = blas_backend_name(), config = blas_backend_config();
  INFO(config);
#ifdef QKV_BLAS_BLIS
  CHECK(name == "BLIS");
  CHECK(config.find("BLIS 0.9") != std::string::npos);
  // qkv picks BLIS's AVX-512 kernels on a CPU that has them, unless the user chose a set.
  const char* user_arch = std::getenv("BLIS_ARCH_TYPE");
  if (cpu_has_avx512() && (!user_arch || std::string(user_arch) == "0"))
    CHECK(config.find("sub-configuration skx") != std::string::npos);
#else
  CHECK(name == "OpenBLAS");
  CHECK(config.find("OpenBLAS") != std::string::npos);
#endif
}

TEST_CASE("blas backend: matmul agrees with OpenBLAS's cblas_sgemm", "[blas]") {
#ifndef QKV_BLAS_BLIS
  WARN("comparison with OpenBLAS skipped: this build uses " << blas_backend_name() << " (configure with -DQKV_BLAS=blis)");
  return;
#else
  // Proves the reference is another library, not BLIS's cblas_sgemm found again.
  REQUIRE(reinterpret_cast<void*>(openblas_sgemm()) != reinterpret_cast<void*>(&cblas_sgemm));
  NoGradGuard no_grad;
  const int threads = num_threads();
  for (int t : {1, 2}) {
    set_num_threads(t);
    check_against_openblas(rnd({64, 96}, 1), rnd({96, 80}, 2));
    check_against_openblas(rnd({1, 257}, 3), rnd({257, 3}, 4));                      // a row vector
    check_against_openblas(rnd({300, 1000}, 5), rnd({1000, 260}, 6));                // BLAS threads it
    check_against_openblas(rnd({4, 128, 384}, 7), rnd({1152, 384}, 8).transpose(0, 1));  // Linear, folded
    check_against_openblas(rnd({96, 64}, 9).transpose(0, 1), rnd({96, 80}, 10));     // A^T (Trans)
    check_against_openblas(rnd({96, 64}, 11).transpose(0, 1), rnd({80, 96}, 12).transpose(0, 1));
    check_against_openblas(rnd({3, 50, 70}, 13), rnd({70, 30}, 14));                 // broadcast b
    check_against_openblas(rnd({16, 6, 64, 64}, 15), rnd({16, 6, 64, 32}, 16));      // batch over threads
    check_against_openblas(rnd({2, 3, 40, 16}, 17), rnd({2, 3, 40, 16}, 18).transpose(-1, -2));  // q k^T
    check_against_openblas(rnd({2, 300, 256}, 19), rnd({2, 256, 300}, 20));          // large matrices
    check_against_openblas(rnd({40, 120}, 21).slice(1, 0, 120, 2), rnd({60, 20}, 22));  // step-2: a copy
  }
  set_num_threads(threads);
#endif
}
