// Module: dotted parameter names, counts, dtype conversion, train/eval, state dicts.
#include <catch2/catch.hpp>

#include "autograd/autograd.h"
#include "nn/layers.h"
#include "nn/mlp.h"

using namespace qkv;
using namespace qkv::nn;
using Catch::Contains;

namespace {
class Tiny : public Module {
 public:
  explicit Tiny(Generator& gen) {
    emb = register_module("emb", std::make_shared<Embedding>(5, 4, gen));
    mlp = register_module("mlp", std::make_shared<MLP>(4, 8, MlpKind::gelu, true, gen));
    scale = register_parameter("scale", ones({4}));
  }
  std::shared_ptr<Embedding> emb;
  std::shared_ptr<MLP> mlp;
  Tensor scale;
};
}  // namespace

TEST_CASE("parameters have PyTorch-style dotted names in registration order", "[module]") {
  Generator gen(1);
  Tiny m(gen);
  NamedTensors named = m.named_parameters();
  std::vector<std::string> names;
  for (auto& [n, p] : named) names.push_back(n);
  CHECK(names == std::vector<std::string>{"scale", "emb.weight", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight",
                                          "mlp.proj.bias"});
  CHECK(m.num_parameters() == 4 + 20 + 32 + 8 + 32 + 4);
  for (auto& [n, p] : named) CHECK(p.requires_grad());
  CHECK(m.mlp->fc->weight.shape() == Dims{8, 4});  // PyTorch layout [out, in]
}

TEST_CASE("to(dtype) converts in place and train/eval is recursive", "[module]") {
  Generator gen(2);
  Tiny m(gen);
  Tensor handle = m.mlp->fc->weight;
  std::vector<float> before = handle.to_vector<float>();
  m.to(DType::f64);
  CHECK(handle.dtype() == DType::f64);  // the layer's own handle sees the change
  std::vector<double> after = handle.to_vector<double>();
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == static_cast<double>(before[i]));
  m.eval();
  CHECK_FALSE(m.mlp->fc->training());
  m.train();
  CHECK(m.mlp->proj->training());
}

TEST_CASE("load_state_dict copies by name and names the offending parameter", "[module]") {
  Generator g1(3), g2(4);
  Tiny a(g1), b(g2);
  b.load_state_dict(a.state_dict());
  CHECK(b.mlp->fc->weight.to_vector<float>() == a.mlp->fc->weight.to_vector<float>());
  CHECK(b.mlp->fc->weight.storage() != a.mlp->fc->weight.storage());  // copied, not aliased

  auto state = a.state_dict();
  state["mlp.fc.weight"] = zeros({8, 5});
  REQUIRE_THROWS_WITH(b.load_state_dict(state),
                      "load_state_dict: parameter 'mlp.fc.weight' has shape [8,5], expected [8,4]");
  state = a.state_dict();
  state.erase("scale");
  REQUIRE_THROWS_WITH(b.load_state_dict(state), Contains("parameter 'scale' is missing"));
  state = a.state_dict();
  state["extra.bias"] = zeros({2});
  REQUIRE_THROWS_WITH(b.load_state_dict(state), Contains("unexpected parameter 'extra.bias'"));
}

TEST_CASE("linear matches x W^T + b and checks its input", "[module]") {
  Generator gen(5);
  Linear lin(3, 2, true, gen);
  copy_(lin.weight, Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}));
  copy_(lin.bias, Tensor::from({0.5, -1}, {2}));
  Tensor y = lin.forward(Tensor::from({1, 0, -1}, {1, 3}));
  CHECK(y.to_vector<float>() == std::vector<float>{1 - 3 + 0.5f, 4 - 6 - 1.0f});
  REQUIRE_THROWS_WITH(lin.forward(ones({2, 4})), Contains("linear: input float32[2,4] does not match weight float32[2,3]"));
}
