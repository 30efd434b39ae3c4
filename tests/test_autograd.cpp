// The tape: recording, backward, gradient accumulation, no-grad, detach, and its errors.
#include <catch2/catch.hpp>

#include "autograd/ops/accumulate.h"
#include "autograd/autograd.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("backward accumulates into leaves and frees intermediates", "[autograd]") {
  Tensor x = Tensor::from({1, 2, 3}, {3}, DType::f64).requires_grad_();
  Tensor y = x * x;               // intermediate
  Tensor loss = sum(y * 3.0);     // d/dx = 6x
  CHECK(loss.requires_grad());
  CHECK_FALSE(loss.is_leaf());
  loss.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{6, 12, 18});
  CHECK_FALSE(y.grad().defined());  // not retained
  CHECK(tape().size() == 0);

  sum(x).backward();  // leaves keep gradients until zeroed: accumulate
  CHECK(x.grad().to_vector<double>() == std::vector<double>{7, 13, 19});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a tensor from a cleared tape used again is an error, not a lost gradient", "[autograd]") {
  Tensor x = ones({2}, DType::f64).requires_grad_();
  Tensor y = x * 3.0;  // recorded on the tape that the next backward clears
  sum(y).backward();
  Tensor z = sum(y * y);  // y's history is gone
  REQUIRE_THROWS_WITH(z.backward(), Contains("was computed before an earlier backward() cleared the tape"));
  tape().clear();
  x.zero_grad();
  sum(y.detach() * x).backward();  // as a constant it is fine
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3, 3});
}

TEST_CASE("retain_grad keeps an intermediate's gradient", "[autograd]") {
  Tensor x = Tensor::from({1, 2}, {2}, DType::f64).requires_grad_();
  Tensor y = x * 2.0;
  y.retain_grad();
  sum(y * y).backward();  // dL/dy = 2y = [4, 8]
  CHECK(y.grad().to_vector<double>() == std::vector<double>{4, 8});
  CHECK(x.grad().to_vector<double>() == std::vector<double>{8, 16});
}

TEST_CASE("a gradient used twice is summed, broadcast gradients are reduced", "[autograd]") {
  Tensor a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).requires_grad_();
  Tensor b = Tensor::from({10, 20, 30}, {3}, DType::f64).requires_grad_();
  Tensor out = sum(a * b + a);
  out.backward();
  CHECK(a.grad().to_vector<double>() == std::vector<double>{11, 21, 31, 11, 21, 31});
  CHECK(b.grad().to_vector<double>() == std::vector<double>{5, 7, 9});
}

TEST_CASE("no-grad guard and detach stop recording", "[autograd]") {
  Tensor x = ones({2}, DType::f64).requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
    CHECK(tape().size() == 0);
  }
  CHECK(grad_enabled());
  Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.storage() == x.storage());
  Tensor z = sum(x * d);
  z.backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{1, 1});  // d is a constant
}

TEST_CASE("backward errors are clear", "[autograd]") {
  Tensor x = ones({3}, DType::f64).requires_grad_();
  Tensor loss = sum(x * x);
  loss.backward();
  REQUIRE_THROWS_WITH(loss.backward(), Contains("backward: the tape that recorded float64[] was already replayed and cleared"));

  Tensor c = ones({3});
  REQUIRE_THROWS_WITH(sum(c).backward(), Contains("backward: tensor float32[] does not require grad"));
  REQUIRE_THROWS_WITH((x * 2.0).backward(), Contains("backward: output float64[3] is not a scalar"));
  tape().clear();
  REQUIRE_THROWS_WITH(ones({2}, DType::i64).requires_grad_(), Contains("only float tensors can require grad"));
  Tensor y = x * 2.0;
  REQUIRE_THROWS_WITH(y.backward(ones({4}, DType::f64)), Contains("gradient float64[4] does not match output float64[3]"));
  tape().clear();
}

TEST_CASE("backward through a view reaches the base", "[autograd]") {
  Tensor x = arange(0, 6, 1, DType::f64).reshape({2, 3}).detach().requires_grad_();
  Tensor w = Tensor::from({1, 2, 3, 4}, {2, 2}, DType::f64);
  Tensor y = x.transpose(0, 1).slice(0, 1, 3);  // [2,2]: x[:, 1:3] transposed
  sum(y * w).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 1, 3, 0, 2, 4});
}

// A deliberately wrong backward: gradcheck must catch it and point at the input.
Tensor square_with_wrong_backward(const Tensor& x) {
  Tensor y = x.detach() * x.detach();
  if (any_requires_grad(x)) {
    // pretend d(x^2)/dx = x (it is 2x)
    record("bad_square", y, [x](const Tensor& g) { accumulate_grad(x, g * x, "bad_square"); });
  }
  return y;
}

TEST_CASE("gradcheck catches a wrong backward and reports where", "[autograd][gradcheck]") {
  Generator gen(7);
  Tensor x = uniform({2, 3}, gen, 0.5, 2.0, DType::f64).requires_grad_();
  GradFn f = [](const std::vector<Tensor>& in) { return square_with_wrong_backward(in[0]); };
  GradcheckReport bad = gradcheck(f, {x}, {"x"});
  REQUIRE_FALSE(bad.passed);
  REQUIRE(bad.inputs.size() == 1);
  CHECK(bad.inputs[0].max_rel_err == Approx(0.5).margin(1e-6));  // x vs 2x
  CHECK(bad.inputs[0].worst_index.size() == 2);
  CHECK_THAT(bad.str(), Contains("FAIL") && Contains("analytic"));

  GradcheckOptions fast;
  fast.fast = true;
  CHECK_FALSE(gradcheck(f, {x}, {"x"}, fast).passed);

  GradFn good = [](const std::vector<Tensor>& in) { return in[0] * in[0]; };
  CHECK(gradcheck(good, {x}, {"x"}).passed);
  CHECK(gradcheck(good, {x}, {"x"}, fast).passed);

  Tensor f32 = ones({2}).requires_grad_();
  REQUIRE_THROWS_WITH(gradcheck(good, {f32}, {"w"}), Contains("gradcheck: input 'w' is float32[2]; gradcheck needs float64"));
}
