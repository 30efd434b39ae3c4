#include "autograd/parallel.h"

#include "autograd/blas_backend.h"
#include "autograd/error.h"

namespace qkv {

void set_num_threads(int n) {
  check(n >= 1, "set_num_threads: need at least 1 thread, got {}", n);
  omp_set_num_threads(n);
  blas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace qkv
