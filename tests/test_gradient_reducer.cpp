// The data-parallel gradient reducer (dist/gradient_reducer.h) on one rank, where the sum
// over ranks is the identity: it must leave every gradient bit-identical, learn on the first
// step how many contributions each parameter gets, start every bucket during backward from
// the second step on (the overlap), and refuse a graph that changes between steps. The sums
// over 2 ranks are tested under mpirun (tests/cli_data_parallel.sh).
#include <catch2/catch.hpp>

#include "autograd/autograd.h"
#include "dist/gradient_reducer.h"

using namespace qkv;
using Catch::Contains;

namespace {

// Two layers; w1 is used twice (a residual-style reuse), so it gets two contributions.
struct TwoLayers {
  Tensor w1, b1, w2;
  TwoLayers() {
    Generator gen(7);
    w1 = randn({8, 8}, gen, DType::f32, 0, 0.3).requires_grad_();
    b1 = zeros({8}).requires_grad_();
    w2 = randn({4, 8}, gen, DType::f32, 0, 0.3).requires_grad_();
  }
  std::vector<Tensor> params() const { return {w1, b1, w2}; }
  void backward(const Tensor& x, bool reuse_w2 = false) const {
    Tensor h = gelu(matmul(x, w1.transpose(0, 1)) + b1);
    h = matmul(h, w1.transpose(0, 1)) + h;
    Tensor y = matmul(h, w2.transpose(0, 1));
    if (reuse_w2) y = y + matmul(h, w2.transpose(0, 1));
    sum(y * y).backward();
  }
  void zero_grad() const {
    for (const Tensor& p : params()) p.zero_grad();
  }
};

std::vector<std::vector<float>> grads(const TwoLayers& m) {
  std::vector<std::vector<float>> out;
  for (const Tensor& p : m.params()) out.push_back(p.grad().to_vector<float>());
  return out;
}

}  // namespace

TEST_CASE("gradient reducer: one rank leaves the gradients bit-identical and overlaps from the second step",
          "[dist]") {
  Generator gen(3);
  const Tensor x = randn({5, 8}, gen);
  TwoLayers plain, reduced;
  plain.backward(x);
  const auto expected = grads(plain);

  // One bucket per parameter (1-byte buckets), so the order of finishing is visible.
  dist::GradientReducer reducer(dist::Communicator::self(), reduced.params(), {"w1", "b1", "w2"}, 1);
  REQUIRE(reducer.bucket_count() == 3);
  for (int step = 0; step < 3; ++step) {
    reduced.zero_grad();
    reducer.begin();
    reduced.backward(x);
    reducer.end();
    CHECK(grads(reduced) == expected);
    // The first step learns the counts and reduces after backward; later ones start every
    // bucket while backward runs.
    CHECK(reducer.buckets_started_in_backward() == (step == 0 ? 0 : 3));
  }
}

TEST_CASE("gradient reducer: a parameter backward never reaches does not hold back the buckets after it", "[dist]") {
  Generator gen(3);
  const Tensor x = randn({5, 8}, gen);
  TwoLayers m;
  const Tensor unused = zeros({3}).requires_grad_();
  // Buckets fill from the last parameter: `unused` alone in the first bucket to start.
  dist::GradientReducer reducer(dist::Communicator::self(), {m.w1, m.b1, m.w2, unused}, {"w1", "b1", "w2", "unused"},
                                1);
  for (int step = 0; step < 2; ++step) {
    m.zero_grad();
    reducer.begin();
    m.backward(x);
    reducer.end();
    CHECK(!unused.grad().defined());  // still no gradient, as without the reducer
  }
  CHECK(reducer.buckets_started_in_backward() == 4);
}

TEST_CASE("gradient reducer: after the first step the buckets follow the order backward finished them", "[dist]") {
  // Like an untied LM head: registered first, used last in forward, so finished first.
  Generator gen(5);
  const Tensor head = randn({4, 8}, gen, DType::f32, 0, 0.3).requires_grad_();
  const Tensor w = randn({8, 8}, gen, DType::f32, 0, 0.3).requires_grad_();
  const Tensor x = randn({5, 8}, gen);
  dist::GradientReducer reducer(dist::Communicator::self(), {head, w}, {"head", "w"}, 1);
  CHECK(reducer.bucket_parameters(0) == std::vector<int64_t>{1});  // the guess: last registered first
  reducer.begin();
  const Tensor h = matmul(x, w.transpose(0, 1));  // one statement each: the tape's order is fixed
  sum(matmul(h, head.transpose(0, 1))).backward();
  reducer.end();
  CHECK(reducer.bucket_parameters(0) == std::vector<int64_t>{0});  // the head, finished first
  CHECK(reducer.bucket_parameters(1) == std::vector<int64_t>{1});
}

TEST_CASE("gradient reducer: a parameter with more contributions than on the first step is an error", "[dist]") {
  Generator gen(3);
  const Tensor x = randn({5, 8}, gen);
  TwoLayers m;
  dist::GradientReducer reducer(dist::Communicator::self(), m.params(), {"w1", "b1", "w2"}, 1 << 20);
  reducer.begin();
  m.backward(x);
  reducer.end();
  m.zero_grad();
  reducer.begin();
  CHECK_THROWS_WITH(m.backward(x, /*reuse_w2=*/true), Contains("parameter w2 received 2 gradient contributions") &&
                                                         Contains("the first step had 1"));
  tape().clear();  // the interrupted backward's entries
  reducer.end();
  CHECK(backward_observer() == nullptr);
}
