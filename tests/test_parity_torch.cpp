// Parity with PyTorch, a system nobody here wrote: the fixtures in tests/fixtures/ hold
// the inputs, weights (by qkv's names), outputs and every gradient of
// torch.nn.MultiheadAttention and of a tiny GPT written in PyTorch, computed in float32 and
// in float64 (scripts/make_fixtures.py documents the layout). qkv loads the same weights,
// runs the same forward pass and loss, and must agree within 1e-5 relative in float32 and
// 1e-10 in float64 (relative error = ||qkv - torch|| / ||torch||). The mha files also hold
// op-level cases of attention.normalize (queries, sigmoid) under their key padding, which
// both attention ops (fused, and scores + attention_weights) must reproduce.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <iterator>

#include "autograd/autograd.h"
#include "autograd/ops/attention_weights.h"
#include "nn/attention.h"
#include "nn/gpt.h"
#include "io/hdf5_file.h"

using namespace qkv;
namespace fs = std::filesystem;

namespace {

// The sources sit beside this file, wherever the build runs from.
const fs::path kTestsDir = fs::path(__FILE__).parent_path();
const fs::path kFixtures = kTestsDir / "fixtures";

Hdf5File open_fixture(const std::string& name) { return Hdf5File::open((kFixtures / name).string()); }

double tolerance(DType dtype) { return dtype == DType::f32 ? 1e-5 : 1e-10; }

// Euclidean norm, accumulated in double.
double norm(const Tensor& t) {
  double sq = 0;
  for (double v : t.to_vector<double>()) sq += v * v;
  return std::sqrt(sq);
}

// qkv's `got` against the fixture's dataset `name`, in the precision of the run:
// ||got - want|| / scale, where scale is ||want|| unless given.
void check_close(const Hdf5File& f, const std::string& name, const Tensor& got, DType dtype, double scale = 0) {
  INFO(name);
  REQUIRE(got.defined());
  Tensor want = f.read(name);
  REQUIRE(got.dtype() == dtype);
  REQUIRE(want.dtype() == dtype);
  REQUIRE(got.shape() == want.shape());
  const double err = norm(sub(got.detach(), want)) / (scale > 0 ? scale : norm(want));
  INFO("relative error " << err << ", tolerance " << tolerance(dtype));
  CHECK(err <= tolerance(dtype));
}

// The fixture's /params, converted to the precision of the run (float32 widens exactly).
std::map<std::string, Tensor> fixture_params(const Hdf5File& f, DType dtype) {
  std::map<std::string, Tensor> params;
  for (const std::string& name : f.list("params")) params[name] = f.read("params/" + name).to(dtype);
  return params;
}

// Every parameter's gradient against <dtype>/grads/params/<name>; the fixture must hold
// exactly the module's parameters.
void check_param_grads(const Hdf5File& f, const nn::Module& m, DType dtype) {
  const std::string grads = std::string(dtype_name(dtype)) + "/grads/params";
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) {
    names.push_back(name);
    const std::string want = grads + "/" + name;
    if (name.ends_with("k_proj.bias")) {
      // Exactly zero in exact arithmetic: the key bias adds q.b to every score of a row,
      // and softmax ignores a shift. Both sides hold rounding noise (torch: ~1e-7 of the
      // key weights' gradient in float32, ~1e-16 in float64), so measure the difference
      // against that gradient rather than against the noise.
      const std::string weight = grads + "/" + name.substr(0, name.size() - 4) + "weight";
      check_close(f, want, p.grad(), dtype, norm(f.read(weight)));
    } else {
      check_close(f, want, p.grad(), dtype);
    }
  }
  std::sort(names.begin(), names.end());
  CHECK(f.list(grads) == names);
}

void check_attention_fixture(const std::string& file) {
  const Hdf5File f = open_fixture(file);
  REQUIRE(f.attr_string("kind") == "mha");
  nn::AttentionOptions opt;
  opt.d_model = f.attr_int("d_model");
  opt.n_head = f.attr_int("n_head");
  opt.cross = f.attr_int("cross") != 0;
  opt.causal = f.attr_int("causal") != 0;

  for (DType dtype : {DType::f32, DType::f64}) {
    DYNAMIC_SECTION(file << " in " << dtype_name(dtype)) {
      Generator gen(1);
      nn::MultiHeadAttention attn(opt, gen);
      attn.to(dtype);
      attn.load_state_dict(fixture_params(f, dtype));

      Tensor x = f.read("inputs/x").to(dtype).detach().requires_grad_();
      Tensor memory = opt.cross ? f.read("inputs/memory").to(dtype).detach().requires_grad_() : Tensor();
      Tensor padding = f.read("inputs/key_padding_mask");  // 1 marks a padded key, as torch's True
      Tensor R = f.read("inputs/R").to(dtype);
      nn::AttentionOutput result = attn.forward(x, memory, padding, nullptr, /*need_weights=*/true);
      Tensor loss = sum(result.out * R);
      loss.backward();

      const std::string run = std::string(dtype_name(dtype)) + "/";
      check_close(f, run + "outputs/out", result.out, dtype);
      check_close(f, run + "outputs/attn_weights", result.weights, dtype);
      check_close(f, run + "outputs/loss", loss, dtype);
      check_close(f, run + "grads/inputs/x", x.grad(), dtype);
      if (opt.cross) check_close(f, run + "grads/inputs/memory", memory.grad(), dtype);
      check_param_grads(f, attn, dtype);
    }
  }
}

// A case of make_fixtures.py's NORMALIZE_CASES: under /normalize, q k^T / sqrt(e) masked
// by the file's key padding (and, with query_padding, by the same padding as queries;
// causal: key j <= query i), normalised, times v; loss sum(out * R).
struct NormalizeCase {
  std::string name;
  Normalize kind;
  bool causal;
  std::optional<double> bias;
  bool query_padding;
};

void check_normalize_fixture(const std::string& file, const std::vector<NormalizeCase>& cases) {
  const Hdf5File f = open_fixture(file);
  const Tensor padding = f.read("inputs/key_padding_mask");
  for (DType dtype : {DType::f32, DType::f64})
    for (const NormalizeCase& c : cases)
      for (bool fused : {true, false}) {
        DYNAMIC_SECTION(file << " " << c.name << (fused ? " fused" : " composed") << " in " << dtype_name(dtype)) {
          auto read = [&](const char* name) { return f.read(std::string("normalize/inputs/") + name).to(dtype); };
          Tensor q = read("q").requires_grad_(), k = read("k").requires_grad_(), v = read("v").requires_grad_();
          const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
          const AttentionMask mask{c.causal, 0, padding, c.query_padding ? padding : Tensor()};
          const NormalizeOptions norm{c.kind, c.bias};
          const std::string outputs = "normalize/" + std::string(dtype_name(dtype)) + "/outputs/" + c.name + "/";
          Tensor out;
          if (fused) {
            out = scaled_dot_attention(q, k, v, scale, mask, norm);
          } else {
            Tensor weights = attention_weights(matmul(q, k.transpose(-2, -1)) * scale, mask, norm);
            check_close(f, outputs + "weights", weights, dtype);
            out = matmul(weights, v);
          }
          sum(out * read("R")).backward();
          check_close(f, outputs + "out", out, dtype);
          const std::string grads = "normalize/" + std::string(dtype_name(dtype)) + "/grads/" + c.name + "/";
          check_close(f, grads + "q", q.grad(), dtype);
          check_close(f, grads + "k", k.grad(), dtype);
          check_close(f, grads + "v", v.grad(), dtype);
        }
      }
}

}  // namespace

TEST_CASE("attention.normalize queries and sigmoid match PyTorch: self-attention, key and query padding",
          "[parity]") {
  check_normalize_fixture("mha_self.h5", {{"queries", Normalize::queries, false, {}, true},
                                          {"queries_causal", Normalize::queries, true, {}, true},
                                          {"sigmoid_causal", Normalize::sigmoid, true, {}, false},
                                          {"sigmoid_bias", Normalize::sigmoid, true, -1.5, false}});
}

TEST_CASE("attention.normalize queries and sigmoid match PyTorch: cross-attention, key padding", "[parity]") {
  check_normalize_fixture("mha_cross.h5", {{"queries", Normalize::queries, false, {}, false},
                                           {"sigmoid", Normalize::sigmoid, false, {}, false},
                                           {"sigmoid_bias", Normalize::sigmoid, false, -1.5, false}});
}

TEST_CASE("self-attention matches torch.nn.MultiheadAttention (causal + key padding)", "[parity]") {
  check_attention_fixture("mha_self.h5");
}

TEST_CASE("cross-attention matches torch.nn.MultiheadAttention (key padding)", "[parity]") {
  check_attention_fixture("mha_cross.h5");
}

TEST_CASE("GPT matches a PyTorch GPT with the same weights: logits, loss, every gradient", "[parity]") {
  const Hdf5File f = open_fixture("gpt.h5");
  REQUIRE(f.attr_string("kind") == "gpt");
  nn::ModelConfig cfg;  // pre-LN, learned positions, GELU MLP 4x, tied head, causal
  cfg.kind = nn::ModelKind::gpt;
  cfg.vocab_size = f.attr_int("vocab_size");
  cfg.n_embd = f.attr_int("n_embd");
  cfg.n_layer = f.attr_int("n_layer");
  cfg.n_head = f.attr_int("n_head");
  cfg.block_size = f.attr_int("block_size");
  cfg.dropout = 0.0;

  for (DType dtype : {DType::f32, DType::f64}) {
    DYNAMIC_SECTION("gpt.h5 in " << dtype_name(dtype)) {
      nn::GPT model(cfg, 1);
      model.to(dtype);
      model.load_state_dict(fixture_params(f, dtype));
      Tensor ids = f.read("inputs/ids"), targets = f.read("inputs/targets");

      const std::string run = std::string(dtype_name(dtype)) + "/";
      {
        NoGradGuard no_grad;
        check_close(f, run + "outputs/logits", model.forward(ids), dtype);
      }
      Tensor loss = model.loss(ids, targets);
      loss.backward();
      check_close(f, run + "outputs/loss", loss, dtype);
      check_param_grads(f, model, dtype);
    }
  }
}

// PyTorch's float kernels round differently from one CPU to the next (AVX2 or AVX-512,
// OpenBLAS core type), so a regenerated fixture matches the committed one exactly in its
// inputs and parameters (seeded draws) and up to rounding in what PyTorch computed.
TEST_CASE("scripts/make_fixtures.py regenerates the committed fixtures", "[parity]") {
  if (std::system("/usr/bin/python3 -c 'import torch, h5py' >/dev/null 2>&1") != 0) {
    WARN("skipped: /usr/bin/python3 cannot import torch and h5py (CI does not need them)");
    return;
  }
  const fs::path out = fs::temp_directory_path() / fmt::format("qkv_fixtures_{}", getpid());
  fs::remove_all(out);
  const fs::path script = kTestsDir.parent_path() / "scripts" / "make_fixtures.py";
  const std::string command = fmt::format("/usr/bin/python3 '{}' --out '{}'", script.string(), out.string());
  REQUIRE(std::system(command.c_str()) == 0);

  auto h5_files = [](const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir))
      // optim_*.h5 come from scripts/make_optim_fixtures.py (checked in test_optim_parity.cpp).
      if (entry.path().extension() == ".h5" && !entry.path().filename().string().starts_with("optim_"))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> names = h5_files(kFixtures);
  CHECK(names == std::vector<std::string>{"gpt.h5", "mha_cross.h5", "mha_self.h5"});
  CHECK(h5_files(out) == names);
  for (const std::string& name : names) {
    INFO(name << " differs: regenerate with /usr/bin/python3 scripts/make_fixtures.py and look at why");
    const Hdf5File committed = open_fixture(name), regenerated = Hdf5File::open((out / name).string());
    REQUIRE(regenerated.list() == committed.list());
    for (const std::string& dataset : committed.list()) {
      const Tensor want = committed.read(dataset), got = regenerated.read(dataset);
      const bool computed = dataset.find("outputs/") != std::string::npos || dataset.find("grads/") != std::string::npos;
      if (computed)  // scale at least 1: some gradients are zero but for rounding (k_proj.bias)
        check_close(committed, dataset, got, want.dtype(), std::max(norm(want), 1.0));
      else
        CHECK(got.to_vector<double>() == want.to_vector<double>());
    }
  }
  fs::remove_all(out);
}
