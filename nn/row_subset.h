// Position-wise work on the positions that matter only. In a padded seq2seq batch a
// quarter of the [B, T] positions can be padding whose values never reach the loss: a
// padded source position is a masked key; a target position after the last target of
// its sequence is neither a scored query nor a key any scored query sees (causal). Their
// MLPs (and, for unscored targets, the output layer) are wasted work, so the seq2seq loss
// hands the blocks a RowSubset and they run the MLP on the kept rows alone (dropped rows
// get zeros). The attention projections stay on all rows: measured, the gathers and
// scatters around them cost what the smaller GEMMs save, and the copies cost memory.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "autograd/tensor.h"

namespace qkv::nn {

struct RowSubset {
  Tensor kept;  // int64 [N]: flat indices b * T + t of the kept rows, ascending
  int64_t total = 0;
};

// The subset of a [B, T] batch's rows where keep[b * T + t] is true, plus the first
// dropped rows as needed to make its size at least `at_least` and a multiple of B * T / 8:
// batches then share a few sizes, which the caching allocator reuses, instead of one size
// each. When that keeps every row, or none is kept, returns an empty RowSubset (kept
// undefined): on_rows then uses all rows.
RowSubset row_subset(const std::vector<bool>& keep, int64_t at_least = 0);

// The kept rows of x [..., d] as [N, d] (x itself when rows is null or keeps all).
Tensor take_rows(const Tensor& x, const RowSubset* rows);
// y [N, d'] from take_rows(like, rows) back in like's shape [..., d'], zeros in the
// dropped rows (y itself when rows is null or keeps all).
Tensor put_rows(const Tensor& y, const RowSubset* rows, const Tensor& like);
// put_rows(f(take_rows(x))): f on the kept rows only. f maps [N, d] to [N, d'].
Tensor on_rows(const Tensor& x, const RowSubset* rows, const std::function<Tensor(const Tensor&)>& f);

}  // namespace qkv::nn
