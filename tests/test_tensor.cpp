// Tensor basics: construction, views sharing storage, copies, dtype conversion, printing.
#include <catch2/catch.hpp>

#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("tensor construction, shape, strides and item", "[tensor]") {
  Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Dims{2, 3});
  CHECK(t.strides() == Dims{3, 1});
  CHECK(t.dtype() == DType::f32);
  CHECK(t.numel() == 6);
  CHECK(t.is_contiguous());
  CHECK(t.size(-1) == 3);
  CHECK(Tensor::scalar(2.5, DType::f64).item() == 2.5);
  CHECK(reinterpret_cast<uintptr_t>(t.raw_data()) % 64 == 0);
  REQUIRE_THROWS_WITH(t.item(), Contains("item: tensor float32[2,3] has 6 elements"));
  REQUIRE_THROWS_WITH(Tensor::from({1, 2, 3}, {2, 2}), Contains("3 values do not fill shape [2,2]"));
}

TEST_CASE("views share storage with their base", "[tensor]") {
  Tensor base = arange(0, 12, 1, DType::f32).reshape({3, 4});
  Tensor tr = base.transpose(0, 1);
  CHECK(tr.shape() == Dims{4, 3});
  CHECK(tr.strides() == Dims{1, 4});
  CHECK_FALSE(tr.is_contiguous());
  CHECK(tr.storage() == base.storage());
  base.data<float>()[1] = 100;  // element [0,1] of base is [1,0] of the transpose
  CHECK(tr.to_vector<float>()[3] == 100);

  Tensor sl = base.slice(1, 1, 4, 2);  // columns 1 and 3
  CHECK(sl.shape() == Dims{3, 2});
  CHECK(sl.to_vector<float>() == std::vector<float>{100, 3, 5, 7, 9, 11});
  CHECK(sl.storage() == base.storage());

  std::vector<Tensor> parts = split(base, 2, 0);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].shape() == Dims{1, 4});
  CHECK(parts[1].to_vector<float>() == std::vector<float>{8, 9, 10, 11});

  Tensor ex = Tensor::from({1, 2, 3}, {3, 1}).expand({2, 3, 4});
  CHECK(ex.strides() == Dims{0, 1, 0});
  CHECK(ex.to_vector<float>()[5] == 2);  // [0,1,1]
}

TEST_CASE("reshape is a view when strides allow and a copy otherwise", "[tensor]") {
  Tensor base = arange(0, 24, 1, DType::f64).reshape({2, 3, 4});
  Tensor v = base.reshape({6, 4});
  CHECK(v.storage() == base.storage());
  CHECK(base.reshape({2, -1}).shape() == Dims{2, 12});
  Tensor p = base.permute({0, 2, 1});
  Tensor c = p.reshape({2, 12});  // not viewable: copies
  CHECK(c.storage() != base.storage());
  CHECK(c.to_vector<double>()[1] == 4);  // p[0,0,1] = base[0,1,0]
  REQUIRE_THROWS_WITH(view(p, {2, 12}), Contains("use reshape"));
  REQUIRE_THROWS_WITH(base.reshape({5, -1}), Contains("reshape: shape [5,-1] is invalid for input of shape [2,3,4]"));
  Tensor pc = p.contiguous();
  CHECK(pc.is_contiguous());
  CHECK(pc.to_vector<double>() == p.to_vector<double>());
}

TEST_CASE("dtype conversion and printing", "[tensor]") {
  Tensor f = Tensor::from({1.5, -2.25, 3}, {3});
  Tensor d = f.to(DType::f64);
  CHECK(d.dtype() == DType::f64);
  CHECK(d.to_vector<double>() == std::vector<double>{1.5, -2.25, 3});
  CHECK(f.to(DType::i64).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3});
  std::string s = f.str();
  CHECK_THAT(s, Contains("1.5000") && Contains("-2.2500") && Contains("shape=[3]") && Contains("float32"));
  CHECK_THAT(arange(10).str(), Contains("[0, 1, 2, ..., 7, 8, 9]"));
}

TEST_CASE("broadcasting follows NumPy rules and errors name both shapes", "[tensor]") {
  Tensor a = ones({2, 3, 1});
  Tensor b = Tensor::from({1, 2, 3, 4}, {4});
  Tensor c = a + b;
  CHECK(c.shape() == Dims{2, 3, 4});
  CHECK(c.to_vector<float>()[7] == 5);
  REQUIRE_THROWS_WITH(ones({3, 4}) + ones({5}), "add: shapes cannot be broadcast: [3,4] and [5]");
  REQUIRE_THROWS_WITH(ones({3}) + ones({3}, DType::f64), Contains("add: dtypes differ: float32[3] and float64[3]"));
}

TEST_CASE("a sum over leading rows (bias gradients) in row blocks: exact sums, any thread count", "[tensor]") {
  const int threads = num_threads();
  // 1000 rows: four 256-row blocks, the last one partial; integers sum exactly in float.
  Tensor x = Tensor::empty({1000, 37}, DType::f32);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 7919) % 23) - 11.0f;
  std::vector<double> want(37, 0.0);
  for (int64_t r = 0; r < 1000; ++r)
    for (int64_t c = 0; c < 37; ++c) want[c] += x.data<float>()[r * 37 + c];
  set_num_threads(1);
  const std::vector<float> one = sum(x, {0}).to_vector<float>();
  set_num_threads(2);
  const std::vector<float> two = sum(x, {0}).to_vector<float>();
  set_num_threads(threads);
  CHECK(one == two);
  for (int64_t c = 0; c < 37; ++c) CHECK(one[c] == static_cast<float>(want[c]));
  // Random values in three dims, float64: against a running sum.
  Generator gen(3);
  Tensor y = randn({300, 2, 5}, gen, DType::f64);
  const std::vector<double> got = sum(y, {0}).to_vector<double>(), all = y.to_vector<double>();
  for (int64_t c = 0; c < 10; ++c) {
    double s = 0;
    for (int64_t r = 0; r < 300; ++r) s += all[r * 10 + c];
    CHECK(got[c] == Approx(s).epsilon(1e-13));
  }
}
