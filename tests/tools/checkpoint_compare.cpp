// checkpoint_compare A B RTOL: compares the parameters and optimizer state of two
// checkpoints tensor by tensor: max |a - b| <= RTOL x max |a| (relative to the tensor's
// scale, so that elements near zero do not dominate). Prints the worst tensor; exit 0 when
// every tensor is within tolerance and the names, shapes and steps match, 1 otherwise.
// What the data-parallel tests use: 2 ranks and 1 process agree up to the order of sums.
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>

#include "io/checkpoint.h"

namespace {

double max_abs(const qkv::Tensor& t) {
  const qkv::Tensor c = t.to(qkv::DType::f64).contiguous();
  double m = 0;
  for (int64_t i = 0; i < c.numel(); ++i) m = std::max(m, std::abs(c.data<double>()[i]));
  return m;
}

double max_abs_diff(const qkv::Tensor& a, const qkv::Tensor& b) {
  const qkv::Tensor x = a.to(qkv::DType::f64).contiguous(), y = b.to(qkv::DType::f64).contiguous();
  double m = 0;
  for (int64_t i = 0; i < x.numel(); ++i) m = std::max(m, std::abs(x.data<double>()[i] - y.data<double>()[i]));
  return m;
}

// Returns the number of tensors out of tolerance; `worst` gets the largest relative error.
int compare(const std::string& group, const std::map<std::string, qkv::Tensor>& a,
            const std::map<std::string, qkv::Tensor>& b, double rtol, double& worst, std::string& worst_name) {
  int bad = 0;
  for (const auto& [name, ta] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.shape() != ta.shape()) {
      fmt::print("{}/{}: missing or another shape in the second checkpoint\n", group, name);
      ++bad;
      continue;
    }
    const double scale = std::max(max_abs(ta), 1e-30), rel = max_abs_diff(ta, it->second) / scale;
    if (rel > worst) worst = rel, worst_name = group + "/" + name;
    if (rel > rtol) {
      fmt::print("{}/{}: relative difference {:.3g} > {:.3g}\n", group, name, rel, rtol);
      ++bad;
    }
  }
  if (a.size() != b.size()) {
    fmt::print("{}: {} tensors against {}\n", group, a.size(), b.size());
    ++bad;
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    fmt::print(stderr, "usage: checkpoint_compare A B RTOL\n");
    return 2;
  }
  try {
    const qkv::Checkpoint a = qkv::load_checkpoint(argv[1]), b = qkv::load_checkpoint(argv[2]);
    const double rtol = std::strtod(argv[3], nullptr);
    double worst = 0;
    std::string worst_name = "-";
    int bad = compare("params", a.params, b.params, rtol, worst, worst_name);
    size_t optim_tensors = 0;
    for (const auto& [param, state] : a.optim) {
      auto it = b.optim.find(param);
      if (it == b.optim.end()) {
        fmt::print("optim/{}: missing in the second checkpoint\n", param);
        ++bad;
        continue;
      }
      bad += compare("optim/" + param, state, it->second, rtol, worst, worst_name);
      optim_tensors += state.size();
    }
    if (a.step != b.step) {
      fmt::print("steps differ: {} and {}\n", a.step, b.step);
      ++bad;
    }
    fmt::print("{} tensors compared, worst relative difference {:.3g} ({}), {} out of tolerance {:.3g}\n",
               a.params.size() + optim_tensors, worst, worst_name, bad, rtol);
    return bad == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "checkpoint_compare: {}\n", e.what());
    return 2;
  }
}
