#include "base/batch_slice.h"

namespace qkv {

namespace {
thread_local BatchSlice t_slice;
}  // namespace

BatchSlice current_batch_slice() { return t_slice; }

BatchSliceScope::BatchSliceScope(BatchSlice slice) : previous_(t_slice) { t_slice = slice; }
BatchSliceScope::~BatchSliceScope() { t_slice = previous_; }

uint64_t batch_slice_element_offset(int64_t numel) {
  const BatchSlice s = t_slice;
  if (s.rows <= 0 || s.first_row == 0 || numel % s.rows != 0) return 0;
  return static_cast<uint64_t>(s.first_row * (numel / s.rows));
}

}  // namespace qkv
