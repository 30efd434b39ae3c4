// Float math for the float32 kernels (activations, softmax, cross_entropy, norms):
// inline polynomial approximations that GCC vectorises (no libm call, no branch: every
// special case is a select), and row reductions in a fixed lane order.
//
// Accuracy (tests/test_fast_math.cpp, against the double std:: functions): exp within
// 1.5 ulp (1.01 at worst over every float), normal_cdf / normal_pdf within 1e-6 relative
// (5e-7 at worst) down to the smallest normal float. exp flushes results below the
// normal range to 0 (denormals would slow the vector units down). NaN propagates
// through every function.
//
// The double overloads are the std:: functions themselves: float64 is the reference
// (gradcheck) and stays exact.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace qkv::fast {

// ---- branch-free selects ---------------------------------------------------------

// All ones where c holds, else 0.
inline uint32_t mask_if(bool c) { return 0u - static_cast<uint32_t>(c); }

// a where mask is all ones, b where it is 0. The functions below select with bit masks,
// not ?:, because GCC's jump threading turns a ?: whose operands are shared into
// branches, and a loop body with branches is not vectorised.
inline float select(uint32_t mask, float a, float b) {
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & mask) | (std::bit_cast<uint32_t>(b) & ~mask));
}

// ---- exp -----------------------------------------------------------------------

// exp(hi + lo) for a float hi and a small correction lo (|lo| <= ulp(hi); 0 for plain
// exp): range reduction hi = n ln2 + r (Cody-Waite, exact), Cephes' expf polynomial p
// for e^r on |r| <= ln2/2, and p * 2^n by adding n to p's exponent bits. Lanes outside
// the range, and NaN, compute garbage in between and get their result at the end.
inline float exp(float hi, float lo) {
  // Above: +inf. The largest float whose exp is finite; below 128 ln2, so n = 128 comes
  // only with r < 0, p <= 1, and p * 2^n never leaves the exponent field.
  constexpr float kOverflow = 88.72283172607421875f;
  // Below: 0, as exp(x) is below the smallest normal float (no denormals). At and above
  // it, n = -126 comes only with r >= 0, p >= 1: p * 2^n is normal.
  constexpr float kUnderflow = -87.33654022216797f;
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // 9 bits: n * kLn2Hi is exact for |n| < 2^15
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 0x1.8p23f;  // adding it rounds to an integer held in the low mantissa bits
  const float shifted = hi * kLog2e + kRound;
  const float n = shifted - kRound;
  const float r = (hi - n * kLn2Hi) - n * kLn2Lo + lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const uint32_t n_bits = std::bit_cast<uint32_t>(shifted) - std::bit_cast<uint32_t>(kRound);  // n, two's complement
  const float y = std::bit_cast<float>(std::bit_cast<uint32_t>(p) + (n_bits << 23));
  const uint32_t overflow = mask_if(std::isgreater(hi, kOverflow)), underflow = mask_if(std::isless(hi, kUnderflow));
  const float in_range = select(mask_if(std::isunordered(hi, hi)), hi, select(underflow, 0.0f, y));
  return select(overflow, std::numeric_limits<float>::infinity(), in_range);
}

inline float exp(float x) { return exp(x, -0.0f); }  // + -0.0 folds away, + 0.0 would not
inline double exp(double x) { return std::exp(x); }

// ---- the standard normal distribution ----------------------------------------------

// exp(-a^2 / 2), with a^2's rounding error carried into the exponent (without it, up to
// a^2/2 ulp would be lost in the tail). Needs an FMA instruction to get that error
// exactly; without one (a portable build) it is left out. For a^2 = inf the error term
// is NaN, but exp() flushes -inf to 0 before looking at it.
inline float exp_minus_half_square(float a) {
  const float sq = a * a;
#ifdef __FMA__
  const float sq_err = std::fma(a, a, -sq);
#else
  const float sq_err = 0.0f;
#endif
  return exp(-0.5f * sq, -0.5f * sq_err);
}

// Density phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
inline float normal_pdf(float x) {
  return 0.398942280401432678f * exp_minus_half_square(std::fabs(x));
}

// Distribution function Phi(x) = P(X <= x) = 0.5 erfc(-x / sqrt 2). The tail Phi(-a)
// (a = |x|) is exp(-a^2/2) * t * Q(t), t = 1 / (1 + a p): Q is smooth on t in (0, 1]
// (Q -> p / sqrt(2 pi) as a -> inf) and a degree-9 polynomial fits it within 1e-8
// relative for a in [0, 13.5] (weighted least squares refined to minimax, p = 5/16).
// Phi(x) = tail for x < 0 and 1 - tail for x >= 0: no cancellation on either side.
inline float normal_cdf(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3125f * a);
  float q = -1.858155057e-02f;
  q = q * t + 8.900562674e-02f;
  q = q * t - 1.453363001e-01f;
  q = q * t + 6.656458974e-02f;
  q = q * t + 3.925804049e-03f;
  q = q * t + 5.205413699e-02f;
  q = q * t + 9.129762650e-02f;
  q = q * t + 1.116249785e-01f;
  q = q * t + 1.247812882e-01f;
  q = q * t + 1.246637851e-01f;
  const float tail = exp_minus_half_square(a) * t * q;
  return select(mask_if(std::signbit(x)), tail, 1.0f - tail);
}

// ---- row reductions in a fixed lane order ----------------------------------------

// Lane j % kLanes of an accumulator array takes term j; the lanes are then combined
// pairwise. The order is fixed by n alone (not by alignment, threads or vector width),
// so results are bit-for-bit reproducible. The lanes are independent, so `omp simd`
// on the lane loop (which makes GCC vectorise it and keep the lanes in registers)
// changes no rounding. Each lane sums n / kLanes terms: float rounding grows with
// n / 16, not n.
inline constexpr int kLanes = 16;

// Calls step(l, j + l) for every j in [0, n): lane l = j % kLanes.
template <typename Step>
void for_lanes(int64_t n, Step&& step) {
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) step(l, j + l);
  }
  for (int l = 0; j + l < n; ++l) step(l, j + l);
}

template <typename T, typename Op>
T combine_lanes(T* acc, Op op) {
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] = op(acc[l], acc[l + width]);
  return acc[0];
}

// sum over j in [0, n) of term(j); term may also store (e.g. the exp it summed).
template <typename T, typename Term>
T lane_sum(int64_t n, Term&& term) {
  T acc[kLanes] = {};
  for_lanes(n, [&](int l, int64_t j) { acc[l] += term(j); });
  return combine_lanes<T>(acc, [](T a, T b) { return a + b; });
}

// max over j of x[j]; NaN if any x[j] is NaN; -inf for n == 0. NaN is tracked apart
// from the max so that the loop is a plain max and an OR.
template <typename T>
T lane_max(const T* x, int64_t n) {
  T acc[kLanes];
  int nan[kLanes] = {};
  for (T& a : acc) a = -std::numeric_limits<T>::infinity();
  for_lanes(n, [&](int l, int64_t j) {
    acc[l] = std::isgreater(x[j], acc[l]) ? x[j] : acc[l];
    nan[l] |= std::isunordered(x[j], x[j]);
  });
  const T m = combine_lanes<T>(acc, [](T a, T b) { return std::isgreater(b, a) ? b : a; });
  return combine_lanes<int>(nan, [](int a, int b) { return a | b; }) ? std::numeric_limits<T>::quiet_NaN() : m;
}

// ---- memory ----------------------------------------------------------------------

// How far ahead the streaming kernels prefetch, in elements (4 KiB of floats).
inline constexpr int64_t kPrefetchAhead = 1024;

// Asks the cache for the lines of [p + kPrefetchAhead, p + kPrefetchAhead + n): a hint
// that never faults, so it may run past the end of an array (the address is computed as
// an integer: no out-of-bounds pointer is formed). On the development machine the
// compute-heavy loops (gelu, softmax) ran 1.3-1.5x slower with the hardware prefetcher
// alone (bench/bench_kernels).
template <typename T>
inline void prefetch_ahead(const T* p, int64_t n) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(p) + kPrefetchAhead * sizeof(T);
  for (int64_t k = 0; k < n * static_cast<int64_t>(sizeof(T)); k += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(start + k));
}

}  // namespace qkv::fast
