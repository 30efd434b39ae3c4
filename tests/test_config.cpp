// The run configuration: strict TOML parsing, --set overrides, round trip to TOML.
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("config parses every section and overrides by key", "[config]") {
  RunConfig c = parse_config(R"(
[data]
corpus = "kjv"
[model]
n_layer = 2
positions = "rope"
dropout = 0
[attention]
q_proj = false
score = "rbf"
[optim]
lr = 3e-4
)", "test.toml");
  CHECK(c.model.n_layer == 2);
  CHECK(c.model.positions == nn::Positions::rope);
  CHECK(c.model.dropout == 0.0);
  CHECK_FALSE(c.model.attention.q_proj);
  CHECK(c.model.attention.score == nn::ScoreKind::rbf);
  CHECK(c.optim.lr == 3e-4);
  CHECK(c.train.batch_size == 12);  // default kept

  apply_override(c, "model.n_embd=64");
  apply_override(c, "attention.qk=shared");  // a bare word is a string
  apply_override(c, "train.out=\"runs/x\"");
  CHECK(c.model.n_embd == 64);
  CHECK(c.model.attention.qk == nn::QKMode::shared);
  CHECK(c.train.out == "runs/x");

  RunConfig back = parse_config(to_toml(c), "roundtrip");
  CHECK(to_toml(back) == to_toml(c));
  CHECK(back.optim.lr == c.optim.lr);
}

TEST_CASE("config errors name the key, the file and what was expected", "[config]") {
  REQUIRE_THROWS_WITH(parse_config("[model]\nn_layers = 2\n", "a.toml"), "config: a.toml: unknown key model.n_layers");
  REQUIRE_THROWS_WITH(parse_config("[modle]\n", "a.toml"), Contains("unknown section [modle]"));
  REQUIRE_THROWS_WITH(parse_config("[model]\nn_layer = \"two\"\n", "a.toml"),
                      "config: model.n_layer in a.toml must be an integer, got a string");
  REQUIRE_THROWS_WITH(parse_config("[attention]\nscore = \"gauss\"\n", "a.toml"),
                      Contains("attention.score in a.toml must be one of dot, rbf, cosine, additive, got \"gauss\""));
  REQUIRE_THROWS_WITH(parse_config("[model\nn_layer = 2\n", "bad.toml"), Contains("config: bad.toml:1:"));
  RunConfig c;
  REQUIRE_THROWS_WITH(apply_override(c, "model.n_layer"), Contains("--set expects section.key=value"));
  REQUIRE_THROWS_WITH(apply_override(c, "model.depth=3"), Contains("unknown key model.depth"));
  REQUIRE_THROWS_WITH(load_config("/nonexistent/x.toml"), Contains("cannot read /nonexistent/x.toml"));
  c.model.n_head = 0;
  REQUIRE_THROWS_WITH(validate(c), Contains("model.n_head must be positive"));
}
