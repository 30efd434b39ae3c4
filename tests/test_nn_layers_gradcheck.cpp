// Every layer and model case passes gradcheck in float64, per input and per parameter
// (the cases `qkv gradcheck --layer` prints).
#include <catch2/catch.hpp>

#include <algorithm>

#include "checks/layers/layer_cases.h"

using namespace qkv;
using namespace qkv::nn;

TEST_CASE("every layer case passes gradcheck in float64", "[gradcheck][layers]") {
  std::vector<LayerCase> cases = all_layer_cases();
  REQUIRE_FALSE(cases.empty());
  for (const LayerCase& c : cases) {
    GradcheckReport r = c.run();
    INFO(c.layer << " / " << c.variant << "\n" << r.str());
    CHECK(r.passed);
    // Every parameter of the module shows up in the report by name.
    CHECK(r.inputs.size() >= c.module->named_parameters().size());
  }
}

TEST_CASE("every layer has gradcheck cases, attention has at least 24 configurations", "[gradcheck][layers]") {
  std::vector<LayerCase> cases = all_layer_cases();
  std::vector<std::string> have = checked_layer_names(cases);
  for (const char* layer : {"linear", "embedding", "layer_norm", "rms_norm", "mlp", "attention", "decoder_block",
                            "encoder_block", "cross_decoder_block", "merged_decoder_block", "gpt", "seq2seq"}) {
    INFO("layer without a gradcheck case: " << layer);
    CHECK(std::find(have.begin(), have.end(), layer) != have.end());
  }
  auto n_attention = std::count_if(cases.begin(), cases.end(), [](const LayerCase& c) { return c.layer == "attention"; });
  CHECK(n_attention >= 24);
}
