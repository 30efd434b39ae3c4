#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/factory.h"
#include "base/generator.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

// Element k (row-major) of a possibly strided float64 tensor, in place.
double& element(const Tensor& t, int64_t k) {
  int64_t off = 0;
  for (int d = t.dim() - 1; d >= 0; --d) {
    off += (k % t.shape()[d]) * t.strides()[d];
    k /= t.shape()[d];
  }
  return t.data<double>()[off];
}

Dims unravel(int64_t k, const Dims& shape) {
  Dims idx;
  idx.resize(shape.size());
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[d] = k % shape[d];
    k /= shape[d];
  }
  return idx;
}

// f evaluated without recording, as a flat vector of float64 values.
std::vector<double> eval(const GradFn& f, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  Tensor out = f(inputs);
  QKV_CHECK(out.dtype() == DType::f64, "gradcheck: the function returned {}, expected float64", describe(out));
  return out.to_vector<double>();
}

// Runs f and backpropagates `seed` (output-shaped); returns each checked input's gradient.
std::vector<std::vector<double>> vjp(const GradFn& f, const std::vector<Tensor>& inputs,
                                     const std::vector<int>& checked, const Tensor& seed) {
  for (int i : checked) inputs[i].zero_grad();
  Tensor out = f(inputs);
  QKV_CHECK(out.requires_grad(), "gradcheck: the output does not depend on any input that requires grad");
  out.backward(seed);
  std::vector<std::vector<double>> grads;
  for (int i : checked) {
    Tensor g = inputs[i].grad();
    grads.push_back(g.defined() ? g.to_vector<double>() : std::vector<double>(inputs[i].numel(), 0.0));
    inputs[i].zero_grad();
  }
  return grads;
}

// Folds one (analytic, numeric) pair into the report.
void compare(InputReport& r, double a, double n, const GradcheckOptions& opt, const Dims& where, int64_t out_index) {
  double abs_err = std::abs(a - n);
  double scale = std::max(std::abs(a), std::abs(n));
  double rel_err = scale > 0 ? abs_err / scale : 0.0;
  bool ok = abs_err <= opt.atol + opt.rtol * std::abs(n) && std::isfinite(a) == std::isfinite(n);
  bool worse = abs_err > r.max_abs_err || (!ok && r.passed);
  r.max_rel_err = std::max(r.max_rel_err, rel_err);
  if (worse || !std::isfinite(abs_err)) {
    r.max_abs_err = std::isfinite(abs_err) ? abs_err : INFINITY;
    r.worst_index = where;
    r.worst_output = out_index;
    r.analytic = a;
    r.numeric = n;
  }
  r.passed &= ok;
}

}  // namespace

GradcheckReport gradcheck(const GradFn& f, const std::vector<Tensor>& inputs,
                          const std::vector<std::string>& names, const GradcheckOptions& opt) {
  std::vector<int> checked;
  GradcheckReport report;
  for (int i = 0; i < static_cast<int>(inputs.size()); ++i) {
    const Tensor& x = inputs[i];
    std::string name = i < static_cast<int>(names.size()) ? names[i] : fmt::format("input{}", i);
    if (!x.requires_grad()) continue;
    QKV_CHECK(x.dtype() == DType::f64, "gradcheck: input '{}' is {}; gradcheck needs float64", name, describe(x));
    QKV_CHECK(x.is_leaf(), "gradcheck: input '{}' is not a leaf; pass x.detach().requires_grad_()", name);
    checked.push_back(i);
    InputReport r;
    r.name = name;
    r.shape = x.shape();
    report.inputs.push_back(r);
  }
  QKV_CHECK(!checked.empty(), "gradcheck: no input requires grad");

  std::vector<double> y0 = eval(f, inputs);
  const int64_t m = static_cast<int64_t>(y0.size());
  Dims out_shape;
  {
    NoGradGuard no_grad;
    out_shape = f(inputs).shape();
  }

  if (!opt.fast) {
    // Analytic Jacobian, one row (output element) per backward pass.
    std::vector<std::vector<std::vector<double>>> rows(m);  // rows[o][input][element]
    for (int64_t o = 0; o < m; ++o) {
      Tensor seed = zeros(out_shape, DType::f64);
      seed.data<double>()[o] = 1.0;
      rows[o] = vjp(f, inputs, checked, seed);
    }
    // Numeric Jacobian, one column (input element) per pair of forward passes.
    for (size_t c = 0; c < checked.size(); ++c) {
      const Tensor& x = inputs[checked[c]];
      for (int64_t k = 0; k < x.numel(); ++k) {
        double& v = element(x, k);
        double saved = v;
        v = saved + opt.eps;
        std::vector<double> plus = eval(f, inputs);
        v = saved - opt.eps;
        std::vector<double> minus = eval(f, inputs);
        v = saved;
        Dims where = unravel(k, x.shape());
        for (int64_t o = 0; o < m; ++o)
          compare(report.inputs[c], rows[o][c][k], (plus[o] - minus[o]) / (2 * opt.eps), opt, where, o);
      }
    }
  } else {
    // Random projections: u^T J v, analytic from one backward, numeric along v.
    Generator gen(opt.seed);
    for (int p = 0; p < opt.projections; ++p) {
      Tensor u = randn(out_shape, gen, DType::f64);
      std::vector<double> uv = u.to_vector<double>();
      std::vector<std::vector<double>> grads = vjp(f, inputs, checked, u);
      for (size_t c = 0; c < checked.size(); ++c) {
        const Tensor& x = inputs[checked[c]];
        std::vector<double> dir = randn(x.shape(), gen, DType::f64).to_vector<double>();
        double analytic = 0;
        for (int64_t k = 0; k < x.numel(); ++k) analytic += grads[c][k] * dir[k];
        std::vector<double> saved = x.to_vector<double>();
        auto shift = [&](double s) {
          for (int64_t k = 0; k < x.numel(); ++k) element(x, k) = saved[k] + s * dir[k];
        };
        shift(opt.eps);
        std::vector<double> plus = eval(f, inputs);
        shift(-opt.eps);
        std::vector<double> minus = eval(f, inputs);
        shift(0);
        double numeric = 0;
        for (int64_t o = 0; o < m; ++o) numeric += uv[o] * (plus[o] - minus[o]) / (2 * opt.eps);
        compare(report.inputs[c], analytic, numeric, opt, {}, -1);
      }
    }
  }
  for (const InputReport& r : report.inputs) report.passed &= r.passed;
  return report;
}

std::string GradcheckReport::str() const {
  std::string s;
  for (const InputReport& r : inputs) {
    s += fmt::format("{:<24} {:<14} max abs {:.2e}  max rel {:.2e}  {}", r.name, r.shape.str(), r.max_abs_err,
                     r.max_rel_err, r.passed ? "ok" : "FAIL");
    if (!r.passed)
      s += fmt::format("  (at input {} output {}: analytic {:.6g}, numeric {:.6g})", r.worst_index.str(),
                       r.worst_output, r.analytic, r.numeric);
    s += '\n';
  }
  return s;
}

}  // namespace qkv
