// own_sgemm (cpu/sgemm.h), qkv's AVX-512 float32 kernel: every layout, edge sizes that
// leave partial tiles, accumulation, the fused bias, row strides wider than the matrix,
// products split over threads, and the same bits whatever the thread count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "autograd/autograd.h"
#include "cpu/blas_backend.h"
#include "cpu/sgemm.h"

using namespace qkv;

namespace {

struct Product {
  int64_t m, n, k;
  bool trans_a, trans_b;
  int64_t pad = 0;  // extra elements at the end of every stored row (ld > width)
};

std::vector<float> random_floats(int64_t count, uint64_t seed) {
  Generator gen(seed);
  return randn({count}, gen).to_vector<float>();
}

// Operands stored as BLAS reads them: A is [m, k] or (trans_a) its transpose [k, m].
struct Operands {
  std::vector<float> a, b;
  int64_t lda, ldb;
};

Operands make_operands(const Product& p, uint64_t seed) {
  const int64_t a_rows = p.trans_a ? p.k : p.m, a_cols = p.trans_a ? p.m : p.k;
  const int64_t b_rows = p.trans_b ? p.n : p.k, b_cols = p.trans_b ? p.k : p.n;
  Operands o{random_floats(a_rows * (a_cols + p.pad), seed), random_floats(b_rows * (b_cols + p.pad), seed + 1),
             a_cols + p.pad, b_cols + p.pad};
  return o;
}

std::vector<float> run_own(const Product& p, const Operands& o, const std::vector<float>& c0, bool accumulate) {
  std::vector<float> c = c0;
  own_sgemm({o.a.data(), p.trans_a, o.lda}, {o.b.data(), p.trans_b, o.ldb}, c.data(), p.n + p.pad, p.m, p.n, p.k,
            accumulate);
  return c;
}

std::vector<float> run_openblas(const Product& p, const Operands& o, const std::vector<float>& c0, bool accumulate) {
  std::vector<float> c = c0;
  cblas_sgemm(CblasRowMajor, p.trans_a ? CblasTrans : CblasNoTrans, p.trans_b ? CblasTrans : CblasNoTrans, p.m, p.n,
              p.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, accumulate ? 1.0f : 0.0f, c.data(), p.n + p.pad);
  return c;
}

// The same sums in another order agree to a few roundings of the largest entry; a wrong
// index, stride, mask or split is off by the size of the entries themselves. The padding
// columns of C (beyond n) must be left as they were.
void check_product(const Product& p, bool accumulate) {
  INFO("m " << p.m << " n " << p.n << " k " << p.k << " trans_a " << p.trans_a << " trans_b " << p.trans_b << " pad "
            << p.pad << " accumulate " << accumulate);
  const Operands o = make_operands(p, 7 + p.m * 31 + p.n * 7 + p.k);
  const std::vector<float> c0 = random_floats(p.m * (p.n + p.pad), 99);
  const std::vector<float> ours = run_own(p, o, c0, accumulate), theirs = run_openblas(p, o, c0, accumulate);
  float largest = 0;
  for (float x : theirs) largest = std::max(largest, std::fabs(x));
  const float tol = 1e-5f * std::max(largest, 1.0f) * std::sqrt(static_cast<float>(std::max<int64_t>(p.k, 1)));
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n + p.pad; ++j) {
      const int64_t at = i * (p.n + p.pad) + j;
      if (j >= p.n) {
        REQUIRE(ours[at] == c0[at]);
      } else if (std::fabs(ours[at] - theirs[at]) > tol) {
        FAIL("C[" << i << ", " << j << "] = " << ours[at] << ", OpenBLAS " << theirs[at]);
      }
    }
}

// Whether this CPU can run own_sgemm; says the test is skipped when it cannot.
bool own_sgemm_runs_here() {
  if (!own_sgemm_available()) WARN("skipped: this CPU has no AVX-512F, so matmul uses OpenBLAS for every product");
  return own_sgemm_available();
}

}  // namespace

TEST_CASE("own_sgemm matches OpenBLAS in every layout, with partial tiles", "[sgemm]") {
  if (!own_sgemm_runs_here()) return;
  const int threads = num_threads();
  set_num_threads(2);
  // Sizes around the 6 x 64 tile: one element, under a tile, exact tiles, a row or a
  // column past a tile, k past the 384-deep slice (two slices add up), and a product as
  // large as those own_sgemm takes over when BLAS lacks AVX-512.
  const std::vector<Product> shapes = {{1, 1, 1, false, false},     {5, 17, 3, false, false},
                                       {6, 64, 32, false, false},   {7, 65, 33, false, false},
                                       {13, 130, 100, false, false}, {768, 128, 128, false, false},
                                       {65, 65, 385, false, false}, {100, 31, 800, false, false},
                                       {200, 600, 1200, false, false}};
  for (const Product& base : shapes)
    for (bool trans_a : {false, true})
      for (bool trans_b : {false, true})
        for (bool accumulate : {false, true}) {
          Product p = base;
          p.trans_a = trans_a;
          p.trans_b = trans_b;
          check_product(p, accumulate);
          p.pad = 3;
          check_product(p, accumulate);
        }
  set_num_threads(threads);
}

TEST_CASE("own_sgemm gives the same bits at 1 and 2 threads", "[sgemm]") {
  if (!own_sgemm_runs_here()) return;
  const int threads = num_threads();
  // Split by rows (tall) and by columns (wide), both large enough to use two threads; a
  // row-major B that one thread packs (150 rows) and two threads read in place (75 each).
  for (const Product& p : {Product{768, 128, 512, false, true}, Product{24, 1000, 300, true, false},
                           Product{150, 200, 500, false, false}}) {
    const Operands o = make_operands(p, 5);
    const std::vector<float> c0(p.m * p.n, 0.0f);
    set_num_threads(1);
    const std::vector<float> one = run_own(p, o, c0, false);
    set_num_threads(2);
    const std::vector<float> two = run_own(p, o, c0, false);
    REQUIRE(one == two);
  }
  set_num_threads(threads);
}

TEST_CASE("own_sgemm with k = 0 writes zeros or leaves C as it was", "[sgemm]") {
  if (!own_sgemm_runs_here()) return;
  const float unused = 0;
  std::vector<float> c = {1, 2, 3, 4, 5, 6};
  own_sgemm({&unused, false, 1}, {&unused, false, 3}, c.data(), 3, 2, 3, 0, true);
  REQUIRE(c == std::vector<float>{1, 2, 3, 4, 5, 6});
  own_sgemm({&unused, false, 1}, {&unused, false, 3}, c.data(), 3, 2, 3, 0, false);
  REQUIRE(c == std::vector<float>(6, 0.0f));
}

TEST_CASE("matmul uses own_sgemm for small products, and for all when BLAS lacks AVX-512", "[sgemm]") {
  const bool own = own_sgemm_available();
  REQUIRE(own_sgemm_suits(768, 128, 128, true) == own);
  REQUIRE(own_sgemm_suits(2048, 256, 256, false) == own);  // shallow, A row-major
  if (blas_sgemm_has_avx512()) {
    REQUIRE_FALSE(own_sgemm_suits(256, 256, 2048, true));  // a deep weight gradient
    REQUIRE_FALSE(own_sgemm_suits(4096, 384, 1536, false));
  } else {  // e.g. OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU
    REQUIRE(own_sgemm_suits(256, 256, 2048, true) == own);
    REQUIRE(own_sgemm_suits(4096, 384, 1536, false) == own);
  }
  REQUIRE_FALSE(own_sgemm_suits(0, 128, 128, false));
  REQUIRE_FALSE(own_sgemm_suits(1, 1536, 384, false));  // one row (sampling): OpenBLAS's gemv path
}

TEST_CASE("own_sgemm with a bias equals accumulating into C filled with the bias, bit for bit", "[sgemm]") {
  if (!own_sgemm_runs_here()) return;
  const int threads = num_threads();
  set_num_threads(2);
  // Partial tiles, k past one slice, row- and column-split products, a transposed A.
  for (const Product& p : {Product{7, 65, 33, false, true}, Product{200, 600, 1200, false, false},
                           Product{24, 1000, 300, true, false}, Product{130, 70, 0, false, true}}) {
    INFO("m " << p.m << " n " << p.n << " k " << p.k);
    const Operands o = make_operands(p, 11);
    const std::vector<float> bias = random_floats(p.n, 12);
    std::vector<float> filled(p.m * p.n), fused(p.m * p.n, std::nanf(""));
    for (int64_t i = 0; i < p.m; ++i) std::copy(bias.begin(), bias.end(), filled.begin() + i * p.n);
    own_sgemm({o.a.data(), p.trans_a, o.lda}, {o.b.data(), p.trans_b, o.ldb}, filled.data(), p.n, p.m, p.n, p.k, true);
    own_sgemm({o.a.data(), p.trans_a, o.lda}, {o.b.data(), p.trans_b, o.ldb}, fused.data(), p.n, p.m, p.n, p.k, false,
              bias.data());
    CHECK(fused == filled);
  }
  set_num_threads(threads);
}
