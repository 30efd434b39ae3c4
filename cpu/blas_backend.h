// The BLAS library qkv is built against, behind one header: CMake's QKV_BLAS picks
// OpenBLAS (the default) or BLIS, both Debian's OpenMP builds, and puts that library's
// cblas.h on the include path. Include this instead of <cblas.h>.
#pragma once
#include <cblas.h>

#include <string>

#ifdef QKV_BLAS_BLIS
// OpenBLAS's cblas.h calls its integer type blasint; BLIS's calls the same thing f77_int.
using blasint = f77_int;
#endif

namespace qkv {

// "OpenBLAS" or "BLIS", for reports.
const char* blas_backend_name();

// The library as it runs: version and the kernel set it picked for this CPU, e.g.
// "OpenBLAS 0.3.21 ... (core SkylakeX)" or "BLIS 0.9.0, sub-configuration skx".
std::string blas_backend_config();

// Whether the BLAS library's sgemm runs AVX-512 kernels on this CPU. OpenBLAS picks its
// kernels by core type, and a machine may pin an older one (OPENBLAS_CORETYPE=Haswell
// gives AVX2 kernels at about half an AVX-512 CPU's FMA rate): qkv's own AVX-512 sgemm
// then wins on every product shape (bench_sgemm), not only on small ones.
bool blas_sgemm_has_avx512();

// The BLAS library's thread count (qkv::set_num_threads sets OpenMP's along with it).
void blas_set_num_threads(int n);

}  // namespace qkv
