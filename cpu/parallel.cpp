#include "cpu/parallel.h"

#include "cpu/blas_backend.h"
#include "base/error.h"

namespace qkv {

void set_num_threads(int n) {
  QKV_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got {}", n);
  omp_set_num_threads(n);
  blas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace qkv
