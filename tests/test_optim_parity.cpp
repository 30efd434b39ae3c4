// Parity with torch.optim (PyTorch 1.13): tests/fixtures/optim_*.h5 hold five small named
// parameters, 20 steps of gradients, and the parameters torch's SGD / Adam / AdamW reached
// after every step, in float32 and float64 (scripts/make_optim_fixtures.py documents the
// layout; the hyperparameters are the files' attributes). qkv replays the same gradients
// and must agree after every step within 1e-6 relative in float32 and 1e-12 in float64
// (relative error = ||qkv - torch|| / ||torch|| per parameter), and so must the final
// optimizer state, the clipping norms and the learning rates.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "autograd/autograd.h"
#include "optim/optim.h"
#include "io/hdf5_file.h"

using namespace qkv;
using namespace qkv::optim;
namespace fs = std::filesystem;

namespace {

const fs::path kTestsDir = fs::path(__FILE__).parent_path();
const fs::path kFixtures = kTestsDir / "fixtures";
const std::vector<std::string> kCases = {"optim_sgd", "optim_sgd_nesterov", "optim_adam", "optim_adamw",
                                         "optim_adamw_cosine_clip"};

double tolerance(DType dtype) { return dtype == DType::f32 ? 1e-6 : 1e-12; }

double norm(const Tensor& t) {
  double sq = 0;
  for (double v : t.to_vector<double>()) sq += v * v;
  return std::sqrt(sq);
}

double relative_error(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  std::vector<double> a = got.to_vector<double>(), b = want.to_vector<double>();
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(diff) / norm(want);
}

// Row k of a [steps, ...] dataset.
Tensor at_step(const Tensor& t, int64_t k) { return t.slice(0, k, k + 1).squeeze(0); }

double attr_double(const Hdf5File& f, const std::string& key) { return std::stod(f.attr_string(key)); }

// The optimizer and schedule the file's attributes describe, through the config factories.
std::unique_ptr<Optimizer> optimizer_for(const Hdf5File& f, const NamedParams& params) {
  OptimConfig s;
  s.name = parse_name<OptimizerKind>(f.attr_string("optimizer"), "optimizer");
  s.lr = attr_double(f, "lr");
  s.beta1 = attr_double(f, "beta1");
  s.beta2 = attr_double(f, "beta2");
  s.eps = attr_double(f, "eps");
  s.weight_decay = attr_double(f, "weight_decay");
  s.momentum = attr_double(f, "momentum");
  s.nesterov = f.attr_int("nesterov") != 0;
  return make_optimizer(s, params);
}

LrSchedule schedule_for(const Hdf5File& f) {
  return make_schedule(parse_name<ScheduleKind>(f.attr_string("schedule"), "schedule"), attr_double(f, "lr"), attr_double(f, "min_lr"),
                       f.attr_int("warmup_iters"), f.attr_int("lr_decay_iters"));
}

void replay(const std::string& name, DType dtype) {
  INFO(name << " in " << dtype_name(dtype));
  Hdf5File f = Hdf5File::open((kFixtures / (name + ".h5")).string());
  const std::string prefix = std::string(dtype_name(dtype)) + "/";
  const int64_t steps = f.attr_int("steps");
  const double clip = attr_double(f, "grad_clip");

  NamedParams params;
  std::map<std::string, Tensor> grads, has_grad, history;
  for (const std::string& p : f.list("initial")) {
    params.emplace_back(p, f.read("initial/" + p).to(dtype).requires_grad_());
    grads[p] = f.read("grads/" + p);
    has_grad[p] = f.read("has_grad/" + p);
    history[p] = f.read(prefix + "params/" + p);
    REQUIRE(history[p].size(0) == steps + 1);
  }
  REQUIRE(params.size() == 5);
  std::unique_ptr<Optimizer> opt = optimizer_for(f, params);
  const LrSchedule schedule = schedule_for(f);
  const Tensor lrs = f.read("lr");
  const Tensor norms = clip > 0 ? f.read(prefix + "grad_norm") : Tensor();

  for (int64_t k = 0; k < steps; ++k) {
    INFO("step " << k + 1);
    for (auto& [p, t] : params) {
      if (at_step(has_grad[p], k).item() != 0)
        t.set_grad(at_step(grads[p], k).to(dtype).clone());
      else
        t.zero_grad();
    }
    if (clip > 0) {
      const double total = clip_grad_norm(opt->parameters(), clip);
      const double want = at_step(norms, k).item();
      CHECK(std::abs(total - want) <= tolerance(dtype) * want);
    }
    opt->set_lr(schedule.at(k));
    CHECK(opt->lr() == at_step(lrs, k).item());  // nanoGPT's formula, bit for bit
    opt->step();
    for (auto& [p, t] : params) {
      INFO(p);
      CHECK(relative_error(t, at_step(history[p], k + 1)) <= tolerance(dtype));
    }
  }
  // The state torch ends with, under the same names.
  const StateDict state = opt->state_dict();
  for (const auto& [p, t] : params) {
    const std::vector<std::string> want_keys = f.list(prefix + "state/" + p);
    REQUIRE(state.count(p));
    const ParamState& got = state.at(p);
    REQUIRE(got.size() == want_keys.size());
    for (const std::string& key : want_keys) {
      INFO(p << "/" << key);
      const Tensor want = f.read(prefix + "state/" + p + "/" + key);
      REQUIRE(got.count(key));
      if (key == "step")
        CHECK(got.at(key).item() == want.item());
      else
        CHECK(relative_error(got.at(key), want) <= tolerance(dtype));
    }
  }
}

}  // namespace

TEST_CASE("20 steps of SGD, Adam and AdamW match torch.optim in float32 and float64", "[optim]") {
  for (const std::string& name : kCases) {
    replay(name, DType::f64);
    replay(name, DType::f32);
  }
}

TEST_CASE("scripts/make_optim_fixtures.py regenerates the committed fixtures byte for byte", "[optim]") {
  if (std::system("/usr/bin/python3 -c 'import torch, h5py' >/dev/null 2>&1") != 0) {
    WARN("skipped: /usr/bin/python3 cannot import torch and h5py (CI does not need them)");
    return;
  }
  const fs::path out = fs::temp_directory_path() / fmt::format("qkv_optim_fixtures_{}", getpid());
  fs::remove_all(out);
  const fs::path script = kTestsDir.parent_path() / "scripts" / "make_optim_fixtures.py";
  const std::string command = fmt::format("/usr/bin/python3 '{}' --out '{}'", script.string(), out.string());
  REQUIRE(std::system(command.c_str()) == 0);
  auto bytes = [](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  size_t written = 0;
  for (const auto& entry : fs::directory_iterator(out)) written += entry.path().extension() == ".h5";
  CHECK(written == kCases.size());
  for (const std::string& name : kCases) {
    INFO(name << ".h5 differs: regenerate with /usr/bin/python3 scripts/make_optim_fixtures.py and look at why");
    const std::string regenerated = bytes(out / (name + ".h5"));
    CHECK(!regenerated.empty());
    CHECK(regenerated == bytes(kFixtures / (name + ".h5")));
  }
  fs::remove_all(out);
}
