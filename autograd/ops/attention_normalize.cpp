#include "autograd/ops/attention_normalize.h"

#include <cmath>

#include "cpu/attention_kernels.h"

namespace qkv {
namespace {

std::vector<uint8_t> nonzero_bytes(const Tensor& t) {
  std::vector<uint8_t> out;
  if (t.defined())
    for (double x : t.to_vector<double>()) out.push_back(x != 0);
  return out;
}

// b of sigmoid(s + b) for a row with n allowed keys: the override, else -log n (a row
// with no allowed key is all zeros whatever b is).
template <typename T>
T sigmoid_bias(const NormalizeOptions& opt, int64_t n) {
  if (opt.sigmoid_bias) return static_cast<T>(*opt.sigmoid_bias);
  return n > 0 ? -std::log(static_cast<T>(n)) : T(0);
}

}  // namespace

RowMasks row_masks(const AttentionMask& mask, int64_t B, int64_t T, int64_t S, const char* op) {
  QKV_CHECK(mask.past >= 0, "{}: past must be >= 0, got {}", op, mask.past);
  const Tensor& kp = mask.key_padding;
  QKV_CHECK(!kp.defined() || (kp.dim() == 2 && kp.size(0) == B && kp.size(1) == S),
            "{}: key_padding must be [B,S] = [{},{}], got {}", op, B, S, describe(kp));
  const Tensor& qp = mask.query_padding;
  QKV_CHECK(!qp.defined() || (qp.dim() == 2 && qp.size(0) == B && qp.size(1) == T),
            "{}: query_padding must be [B,T] = [{},{}], got {}", op, B, T, describe(qp));
  return {mask.causal, mask.past, T, S, nonzero_bytes(kp), nonzero_bytes(qp)};
}

template <typename T>
void normalize_rows(const NormalizeOptions& opt, const RowMasks& masks, int64_t b, int64_t r0, int64_t rows, T* x,
                    int64_t ld, int64_t width, T scale) {
  const uint8_t* padded = masks.padding(b);
  switch (opt.kind) {
    case Normalize::keys:
      for (int64_t r = 0; r < rows; ++r) cpu::softmax_row(x + r * ld, scale, masks.visible(b, r0 + r), padded, width);
      return;
    case Normalize::sigmoid:
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t visible = masks.visible(b, r0 + r);
        const T bias = sigmoid_bias<T>(opt, cpu::allowed_keys(visible, padded));
        cpu::sigmoid_row(x + r * ld, scale, bias, visible, padded, width);
      }
      return;
    case Normalize::queries:
      QKV_CHECK(r0 == 0 && rows == masks.T, "attention normalize = queries: needs all {} query rows, got [{}, {})",
                masks.T, r0, r0 + rows);
      for (int64_t r = 0; r < rows; ++r) cpu::mask_row(x + r * ld, scale, masks.visible(b, r), padded, width);
      cpu::softmax_columns(x, rows, width, ld);
      return;
  }
}

template <typename T>
void normalize_rows_backward(Normalize kind, int64_t rows, const T* p, int64_t ldp, T* dp, int64_t ld_dp,
                             int64_t width, T scale) {
  switch (kind) {
    case Normalize::keys:
      for (int64_t r = 0; r < rows; ++r) cpu::softmax_row_backward(p + r * ldp, dp + r * ld_dp, scale, width);
      return;
    case Normalize::sigmoid:
      for (int64_t r = 0; r < rows; ++r) cpu::sigmoid_row_backward(p + r * ldp, dp + r * ld_dp, scale, width);
      return;
    case Normalize::queries:
      cpu::softmax_columns_backward(p, ldp, dp, ld_dp, rows, width, scale);
      return;
  }
}

template void normalize_rows<float>(const NormalizeOptions&, const RowMasks&, int64_t, int64_t, int64_t, float*,
                                    int64_t, int64_t, float);
template void normalize_rows<double>(const NormalizeOptions&, const RowMasks&, int64_t, int64_t, int64_t, double*,
                                     int64_t, int64_t, double);
template void normalize_rows_backward<float>(Normalize, int64_t, const float*, int64_t, float*, int64_t, int64_t,
                                             float);
template void normalize_rows_backward<double>(Normalize, int64_t, const double*, int64_t, double*, int64_t, int64_t,
                                              double);

}  // namespace qkv
