#include "cpu/blas_backend.h"

#include <fmt/format.h>
#include <omp.h>

#include <strings.h>

#include <cstdlib>

#ifdef QKV_BLAS_BLIS
#include <blis.h>
#endif

namespace qkv {

#ifdef QKV_BLAS_BLIS

namespace {

// BLIS's own test for its skx (AVX-512) kernel set, minus its count of FMA units.
bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

// Debian's BLIS 0.9 picks its kernel set from the CPU model, and settles for a weaker
// one on CPUs it does not know: AVX2 (haswell) where it cannot tell the number of FMA
// units (as in this project's virtual machine), the portable C kernels on Zen 5. It
// reads the integer arch_t id in BLIS_ARCH_TYPE once, on its first call: so name the
// AVX-512 set there before that call, unless the user chose a set themselves.
bool select_blis_kernels() {
  if (!std::getenv("BLIS_ARCH_TYPE") && cpu_has_avx512())
    setenv("BLIS_ARCH_TYPE", std::to_string(BLIS_ARCH_SKX).c_str(), 0);
  // BLIS would start with BLIS_NUM_THREADS or OMP_NUM_THREADS, else 1 thread; match
  // OpenBLAS, which starts with OpenMP's count. This first call also picks the kernels.
  bli_thread_set_num_threads(omp_get_max_threads());
  return true;
}

}  // namespace

// Runs at program start, before any BLAS call. The linker keeps this object in every
// program (CMake passes --undefined=qkv_blis_kernels_selected), since no code refers to it.
extern "C" {
extern const bool qkv_blis_kernels_selected;
const bool qkv_blis_kernels_selected = select_blis_kernels();
}

const char* blas_backend_name() { return "BLIS"; }

std::string blas_backend_config() {
  return fmt::format("BLIS {}, sub-configuration {}", bli_info_get_version_str(),
                     bli_arch_string(bli_arch_query_id()));
}

bool blas_sgemm_has_avx512() {
  const arch_t arch = bli_arch_query_id();
  return arch == BLIS_ARCH_SKX || arch == BLIS_ARCH_KNL;
}

void blas_set_num_threads(int n) { bli_thread_set_num_threads(n); }

#else

const char* blas_backend_name() { return "OpenBLAS"; }

std::string blas_backend_config() {
  return fmt::format("{} (core {})", openblas_get_config(), openblas_get_corename());
}

bool blas_sgemm_has_avx512() {
  // OpenBLAS 0.3.21's core types with AVX-512 sgemm kernels.
  static const bool has = [] {
    const std::string core = openblas_get_corename();
    for (const char* avx512_core : {"SkylakeX", "Cooperlake", "SapphireRapids"})
      if (strcasecmp(core.c_str(), avx512_core) == 0) return true;
    return false;
  }();
  return has;
}

void blas_set_num_threads(int n) { openblas_set_num_threads(n); }

#endif

}  // namespace qkv
