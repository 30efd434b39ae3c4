// The run configuration: strict TOML parsing, --set overrides, round trip to TOML, the
// range of every number and the enum-valued keys.
#include <catch2/catch.hpp>

#include "base/error.h"
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
  REQUIRE_THROWS_WITH(validate(c), "config: model.n_head must be in [1, 1024], got 0");
}

// The error validate() gives for a config with one override, or "" when there is none.
std::string validation_error(const std::string& assignment) {
  RunConfig c;
  apply_override(c, assignment);
  try {
    validate(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("validate holds every number to its key's range", "[config]") {
  CHECK_NOTHROW(validate(RunConfig{}));
  CHECK(validation_error("train.eval_interval=0") == "config: train.eval_interval must be >= 1, got 0");
  CHECK(validation_error("train.log_interval=0") == "config: train.log_interval must be >= 1, got 0");
  CHECK(validation_error("train.checkpoint_interval=-3") == "config: train.checkpoint_interval must be >= 1, got -3");
  CHECK(validation_error("train.keep_checkpoints=0") == "config: train.keep_checkpoints must be >= 1, got 0");
  CHECK(validation_error("train.eval_iters=0") == "config: train.eval_iters must be >= 1, got 0");
  CHECK(validation_error("train.max_iters=0") == "config: train.max_iters must be >= 1, got 0");
  CHECK(validation_error("train.threads=-1") == "config: train.threads must be in [0, 1024] (0: all cores), got -1");
  CHECK(validation_error("data.vocab_size=-5") ==
        "config: data.vocab_size must be in [0, 1048576] (0: the tokenizer's default), got -5");
  CHECK(validation_error("model.n_head=0") == "config: model.n_head must be in [1, 1024], got 0");
  CHECK(validation_error("model.dropout=1") == "config: model.dropout must be in [0, 1), got 1");
  CHECK(validation_error("optim.lr=0") == "config: optim.lr must be > 0, got 0");
  CHECK(validation_error("optim.lr=nan") == "config: optim.lr must be a finite number > 0, got nan");
  CHECK(validation_error("optim.min_lr=-1e-4") == "config: optim.min_lr must be >= 0, got -0.0001");
  CHECK(validation_error("optim.min_lr=0.01") == "config: optim.min_lr must be <= optim.lr (0.001), got 0.01");
  CHECK(validation_error("optim.warmup_iters=-1") == "config: optim.warmup_iters must be >= 0, got -1");
  CHECK(validation_error("optim.lr_decay_iters=-1") == "config: optim.lr_decay_iters must be >= 0, got -1");
  CHECK(validation_error("optim.beta1=1") == "config: optim.beta1 must be in [0, 1), got 1");
  CHECK(validation_error("optim.beta2=-0.5") == "config: optim.beta2 must be in [0, 1), got -0.5");
  CHECK(validation_error("optim.weight_decay=-0.1") == "config: optim.weight_decay must be >= 0, got -0.1");
  CHECK(validation_error("optim.grad_clip=-1") == "config: optim.grad_clip must be >= 0 (0 turns clipping off), got -1");
  CHECK(validation_error("optim.momentum=1.5") == "config: optim.momentum must be in [0, 1), got 1.5");
  // The ends of each range are accepted.
  for (const char* ok : {"train.threads=0", "data.vocab_size=0", "optim.min_lr=0", "optim.warmup_iters=0",
                         "optim.beta1=0", "optim.weight_decay=0", "optim.grad_clip=0", "optim.momentum=0",
                         "optim.min_lr=0.001", "train.eval_interval=1", "train.keep_checkpoints=1"})
    CHECK(validation_error(ok) == "");
}

TEST_CASE("sizes are capped, floats are finite, paths are not empty", "[config]") {
  // Caps far above any CPU run keep every count inside int64 (the memory check refuses
  // what fits them but not the machine).
  CHECK(validation_error("model.n_layer=9223372036854775807") ==
        "config: model.n_layer must be in [1, 1024], got 9223372036854775807");
  CHECK(validation_error("model.n_embd=1000000") == "config: model.n_embd must be in [1, 65536], got 1000000");
  CHECK(validation_error("model.block_size=2000000") == "config: model.block_size must be in [1, 1048576], got 2000000");
  CHECK(validation_error("train.batch_size=1000000000") ==
        "config: train.batch_size must be in [1, 1048576], got 1000000000");
  CHECK(validation_error("train.grad_accum=2000000") == "config: train.grad_accum must be in [1, 1048576], got 2000000");
  CHECK(validation_error("model.mlp_hidden=-1") == "config: model.mlp_hidden must be in [0, 1048576] (0 means 4 x n_embd), got -1");
  CHECK(validation_error("train.threads=100000") == "config: train.threads must be in [0, 1024] (0: all cores), got 100000");
  for (const char* ok : {"model.n_layer=1024", "model.n_head=1024", "model.n_embd=65536", "train.batch_size=1048576",
                         "model.block_size=1048576", "model.mlp_hidden=0", "train.threads=1024"})
    CHECK(validation_error(ok) == "");
  // NaN is in no range, and inf in none either: no float key means anything by them
  // (an inf grad_clip would silently turn clipping off).
  for (const char* key : {"model.dropout", "optim.lr", "optim.min_lr", "optim.beta1", "optim.beta2", "optim.weight_decay",
                          "optim.grad_clip", "optim.momentum"})
    for (const char* value : {"nan", "inf", "-inf"}) {
      INFO(key << "=" << value);
      CHECK_THAT(validation_error(std::string(key) + "=" + value),
                 Contains(std::string(key) + " must be a finite number") && Contains(std::string("got ") + value));
    }
  CHECK(validation_error("train.out=\"\"") == "config: train.out is empty; expected a folder for the checkpoints");
  CHECK_THAT(validation_error("data.corpus=\"\""), Contains("config: data.corpus is empty; expected a dataset name"));
}

TEST_CASE("the tokenizer, the optimizer and the schedule are enum keys with one spelling", "[config]") {
  RunConfig c = parse_config("[data]\ntokenizer = \"unigram\"\nvocab_size = 300\n"
                             "[optim]\nname = \"sgd\"\nschedule = \"linear\"\n",
                             "e.toml");
  CHECK(c.data.tokenizer == data::TokenizerKind::unigram);
  CHECK(c.optim.name == optim::OptimizerKind::sgd);
  CHECK(c.optim.schedule == optim::ScheduleKind::linear);
  const std::string text = to_toml(c);
  CHECK_THAT(text, Contains("tokenizer = \"unigram\"") && Contains("name = \"sgd\"") &&
                       Contains("schedule = \"linear\""));
  // The defaults as checkpoints have always stored them.
  CHECK_THAT(to_toml(RunConfig{}), Contains("[data]\ncorpus = \"kjv\"\ntokenizer = \"char\"\nvocab_size = 0\n") &&
                                       Contains("[optim]\nname = \"adamw\"\n") &&
                                       Contains("schedule = \"cosine\"\n"));
  apply_override(c, "data.tokenizer=char");
  CHECK(c.data.tokenizer == data::TokenizerKind::char_);
  REQUIRE_THROWS_WITH(parse_config("[data]\ntokenizer = \"words\"\n", "e.toml"),
                      "config: data.tokenizer in e.toml must be one of char, bpe, unigram, got \"words\"");
  REQUIRE_THROWS_WITH(parse_config("[optim]\nname = \"lion\"\n", "e.toml"),
                      "config: optim.name in e.toml must be one of adamw, adam, sgd, got \"lion\"");
  REQUIRE_THROWS_WITH(apply_override(c, "optim.schedule=step"),
                      "config: optim.schedule (from --set) must be one of constant, cosine, linear, got \"step\"");
  c.data.tokenizer = data::TokenizerKind::bpe;
  c.data.vocab_size = 0;
  REQUIRE_THROWS_WITH(validate(c), "config: data.vocab_size must be set for the bpe tokenizer");
}
