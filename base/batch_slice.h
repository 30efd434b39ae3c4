// Which rows of the global batch this process computes. In a data-parallel run (mpirun)
// each rank computes a slice of every batch; dropout keys its masks by the element's index
// in the *global* batch, so that a rank's rows are dropped exactly as one process would
// drop them (docs/design.md section 10). Outside a slice scope the
// whole batch is local and the offset is 0.
#pragma once
#include <cstdint>

namespace qkv {

struct BatchSlice {
  int64_t first_row = 0;  // the slice's first row in the global batch
  int64_t rows = 0;       // its rows; 0: the whole batch (no slicing)
};

BatchSlice current_batch_slice();

// Sets this thread's slice for its lifetime (the task's forward and loss), then restores.
class BatchSliceScope {
 public:
  explicit BatchSliceScope(BatchSlice slice);
  ~BatchSliceScope();
  BatchSliceScope(const BatchSliceScope&) = delete;
  BatchSliceScope& operator=(const BatchSliceScope&) = delete;

 private:
  BatchSlice previous_;
};

// The global index of element 0 of a batch-first contiguous tensor of `numel` elements
// that holds the slice's rows: first_row x (elements per row). 0 outside a slice, and for
// a tensor whose size is not a whole number of rows (not batch-shaped).
uint64_t batch_slice_element_offset(int64_t numel);

}  // namespace qkv
