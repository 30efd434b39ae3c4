// The attention normalisations' arithmetic (cpu/attention_kernels.h). The keys kernels
// are the fused attention op's row kernels, moved here unchanged: they round as the
// composed ops do (scale as a separate multiply, fast::exp, fixed-lane sums), which is
// what keeps the fused op bit-identical to softmax(masked_fill(...)).
#include "cpu/attention_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/fast_math.h"

namespace qkv::cpu {
namespace {

template <typename T>
constexpr T kMinusInf = -std::numeric_limits<T>::infinity();

// The largest of x[0, n), ignoring NaN (-inf when there is nothing else). The same max
// as fast::lane_max (the order of a max does not matter) without its NaN test inside
// the compare, which keeps GCC from using vector max instructions: lane_max took 30% of
// the forward here. A NaN still propagates: exp(NaN - m) makes the row's sum NaN.
template <typename T>
T row_max(const T* x, int64_t n) {
  T acc[fast::kLanes];
  std::fill(acc, acc + fast::kLanes, kMinusInf<T>);
  int64_t j = 0;
  for (; j + fast::kLanes <= n; j += fast::kLanes)
    for (int l = 0; l < fast::kLanes; ++l) acc[l] = x[j + l] > acc[l] ? x[j + l] : acc[l];
  for (; j < n; ++j) acc[0] = x[j] > acc[0] ? x[j] : acc[0];
  return *std::max_element(acc, acc + fast::kLanes);
}

// 1 / (1 + e^-z), as the sigmoid op (and PyTorch) computes it, with fast::exp (vectorised;
// e^-z overflows to inf for z < -88, giving 0).
template <typename T>
T sigmoid(T z) {
  return 1 / (1 + fast::exp(-z));
}

}  // namespace

// Keys past `visible` would only add -inf to the max and 0 to the sums, so skipping them
// changes no bit.
template <typename T>
void softmax_row(T* x, T scale, int64_t visible, const uint8_t* padded, int64_t width) {
  if (padded)
    for (int64_t j = 0; j < visible; ++j) x[j] = padded[j] ? kMinusInf<T> : x[j] * scale;
  else
    for (int64_t j = 0; j < visible; ++j) x[j] *= scale;
  const T m = row_max(x, visible);
  if (m == kMinusInf<T>) {  // no key left, or NaN among -inf (propagated as the softmax op does)
    const bool nan = std::any_of(x, x + visible, [](T v) { return std::isnan(v); });
    std::fill(x, x + width, nan ? std::numeric_limits<T>::quiet_NaN() : T(0));
    return;
  }
  const T inv = T(1) / fast::lane_sum<T>(visible, [&](int64_t j) { return x[j] = fast::exp(x[j] - m); });
  for (int64_t j = 0; j < visible; ++j) x[j] *= inv;
  std::fill(x + visible, x + width, T(0));
}

// Rounded as the softmax op's backward followed by `* scale`.
template <typename T>
void softmax_row_backward(const T* p, T* dp, T scale, int64_t n) {
  const T dot = fast::lane_sum<T>(n, [&](int64_t j) { return dp[j] * p[j]; });
  for (int64_t j = 0; j < n; ++j) dp[j] = p[j] * (dp[j] - dot) * scale;
}

// Every visible key first, then the padded ones zeroed: two loops without branches.
template <typename T>
void sigmoid_row(T* x, T scale, T bias, int64_t visible, const uint8_t* padded, int64_t width) {
  for (int64_t j = 0; j < visible; ++j) x[j] = sigmoid(x[j] * scale + bias);
  if (padded)
    for (int64_t j = 0; j < visible; ++j) x[j] = padded[j] ? T(0) : x[j];
  std::fill(x + visible, x + width, T(0));
}

template <typename T>
void sigmoid_row_backward(const T* p, T* dp, T scale, int64_t n) {
  for (int64_t j = 0; j < n; ++j) dp[j] = dp[j] * (p[j] * (1 - p[j])) * scale;
}

int64_t allowed_keys(int64_t visible, const uint8_t* padded) {
  return padded ? std::count(padded, padded + visible, uint8_t{0}) : visible;
}

template <typename T>
void mask_row(T* x, T scale, int64_t visible, const uint8_t* padded, int64_t width) {
  for (int64_t j = 0; j < visible; ++j) x[j] = padded && padded[j] ? kMinusInf<T> : x[j] * scale;
  std::fill(x + visible, x + width, kMinusInf<T>);
}

// Row by row (the memory order, vectorised along the row), with one running max and sum
// per column. NaN is skipped by the max and then spreads through its column's sum. A
// column whose max is -inf has no allowed entry: with its max taken as 0 its exps are 0
// and so is its sum, and it is divided by 1. (An allowed column's sum is >= 1.)
template <typename T>
void softmax_columns(T* x, int64_t rows, int64_t cols, int64_t ld) {
  std::vector<T> m(cols, kMinusInf<T>), s(cols, T(0));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) m[j] = x[r * ld + j] > m[j] ? x[r * ld + j] : m[j];
  for (int64_t j = 0; j < cols; ++j) m[j] = m[j] == kMinusInf<T> ? T(0) : m[j];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) s[j] += x[r * ld + j] = fast::exp(x[r * ld + j] - m[j]);
  for (int64_t j = 0; j < cols; ++j) s[j] = s[j] == T(0) ? T(1) : T(1) / s[j];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) x[r * ld + j] *= s[j];
}

template <typename T>
void softmax_columns_backward(const T* p, int64_t ldp, T* dp, int64_t ld, int64_t rows, int64_t cols, T scale) {
  std::vector<T> dot(cols, T(0));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) dot[j] += dp[r * ld + j] * p[r * ldp + j];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j) dp[r * ld + j] = p[r * ldp + j] * (dp[r * ld + j] - dot[j]) * scale;
}

#define QKV_ATTENTION_KERNELS(T)                                                                     \
  template void softmax_row<T>(T*, T, int64_t, const uint8_t*, int64_t);                            \
  template void softmax_row_backward<T>(const T*, T*, T, int64_t);                                  \
  template void sigmoid_row<T>(T*, T, T, int64_t, const uint8_t*, int64_t);                         \
  template void sigmoid_row_backward<T>(const T*, T*, T, int64_t);                                  \
  template void mask_row<T>(T*, T, int64_t, const uint8_t*, int64_t);                               \
  template void softmax_columns<T>(T*, int64_t, int64_t, int64_t);                                  \
  template void softmax_columns_backward<T>(const T*, int64_t, T*, int64_t, int64_t, int64_t, T);
QKV_ATTENTION_KERNELS(float)
QKV_ATTENTION_KERNELS(double)
#undef QKV_ATTENTION_KERNELS

}  // namespace qkv::cpu
