#include "autograd/ops/binary.h"

#include <cmath>

#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"

namespace qkv {

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "add", [](auto x, auto y) { return x + y; });
  if (any_requires_grad(a, b))
    record("add", out, [a, b](const Tensor& g) {
      accumulate_grad(a, g, "add");
      accumulate_grad(b, g, "add");
    });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "sub", [](auto x, auto y) { return x - y; });
  if (any_requires_grad(a, b))
    record("sub", out, [a, b](const Tensor& g) {
      accumulate_grad(a, g, "sub");
      if (b.requires_grad()) accumulate_grad(b, unary_map(g, "sub", [](auto v) { return -v; }), "sub");
    });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "mul", [](auto x, auto y) { return x * y; });
  if (any_requires_grad(a, b))
    record("mul", out, [a, b](const Tensor& g) {
      auto times = [](auto x, auto y) { return x * y; };
      if (a.requires_grad()) accumulate_grad(a, binary_map(g, b, "mul", times), "mul");
      if (b.requires_grad()) accumulate_grad(b, binary_map(g, a, "mul", times), "mul");
    });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "div", [](auto x, auto y) { return x / y; });
  if (any_requires_grad(a, b))
    record("div", out, [a, b, out](const Tensor& g) {
      // d(a/b)/da = 1/b;  d(a/b)/db = -(a/b)/b
      if (a.requires_grad()) accumulate_grad(a, binary_map(g, b, "div", [](auto gv, auto y) { return gv / y; }), "div");
      if (b.requires_grad())
        accumulate_grad(b, ternary_map(g, out, b, "div", [](auto gv, auto q, auto y) { return -gv * q / y; }), "div");
    });
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_map(a, b, "pow", [](auto x, auto y) { return std::pow(x, y); });
  if (any_requires_grad(a, b))
    record("pow", out, [a, b, out](const Tensor& g) {
      // d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b log a
      if (a.requires_grad())
        accumulate_grad(a, ternary_map(g, a, b, "pow", [](auto gv, auto x, auto y) {
          return gv * y * std::pow(x, y - decltype(y)(1));
        }), "pow");
      if (b.requires_grad())
        accumulate_grad(b, ternary_map(g, out, a, "pow", [](auto gv, auto p, auto x) {
          return gv * p * std::log(x);
        }), "pow");
    });
  return out;
}

// x op s for a scalar s, with d(out)/dx = dscale (a constant) for add/sub/mul/div.
namespace {
template <typename F>
Tensor scalar_affine(const Tensor& a, const char* op, double dscale, F f) {
  Tensor out = unary_map(a, op, f);
  if (any_requires_grad(a))
    record(op, out, [a, op, dscale](const Tensor& g) {
      accumulate_grad(a, dscale == 1.0 ? g : unary_map(g, op, [dscale](auto v) {
        return v * static_cast<decltype(v)>(dscale);
      }), op);
    });
  return out;
}
}  // namespace

Tensor add(const Tensor& a, double s) {
  return scalar_affine(a, "add_scalar", 1.0, [s](auto x) { return x + static_cast<decltype(x)>(s); });
}
Tensor sub(const Tensor& a, double s) {
  return scalar_affine(a, "sub_scalar", 1.0, [s](auto x) { return x - static_cast<decltype(x)>(s); });
}
Tensor rsub(double s, const Tensor& a) {
  return scalar_affine(a, "rsub_scalar", -1.0, [s](auto x) { return static_cast<decltype(x)>(s) - x; });
}
Tensor mul(const Tensor& a, double s) {
  return scalar_affine(a, "mul_scalar", s, [s](auto x) { return x * static_cast<decltype(x)>(s); });
}
Tensor div(const Tensor& a, double s) {
  return scalar_affine(a, "div_scalar", 1.0 / s, [s](auto x) { return x / static_cast<decltype(x)>(s); });
}

Tensor rdiv(double s, const Tensor& a) {
  Tensor out = unary_map(a, "rdiv_scalar", [s](auto x) { return static_cast<decltype(x)>(s) / x; });
  if (any_requires_grad(a))
    record("rdiv_scalar", out, [a, out](const Tensor& g) {
      // d(s/a)/da = -(s/a)/a
      accumulate_grad(a, ternary_map(g, out, a, "rdiv_scalar", [](auto gv, auto q, auto x) { return -gv * q / x; }),
                      "rdiv_scalar");
    });
  return out;
}

}  // namespace qkv
