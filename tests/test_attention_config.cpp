// The attention's configuration seams: one descriptor per score kind, one table of named
// variants (agreeing with the config's --set), causal and merged as block properties,
// and the per-attention overrides [attention.encoder|decoder|cross] (their effect on the
// seq2seq model: test_nn_models.cpp).
#include <catch2/catch.hpp>

#include <set>

#include "config/config.h"
#include "nn/attention_variants.h"
#include "nn/count.h"
#include "nn/gpt.h"
#include "nn/score_kinds.h"

using namespace qkv;
using Catch::Contains;

TEST_CASE("every score kind has a descriptor", "[attention][config]") {
  for (const auto& [kind, name] : EnumNames<nn::ScoreKind>::table) {
    INFO(name);
    const nn::ScoreKindSpec& spec = nn::score_kind(kind);
    CHECK(spec.kind == kind);
    CHECK(spec.scores != nullptr);
    CHECK(spec.pair_flops != nullptr);
    CHECK((spec.param_name == nullptr) == (spec.param_shape == nullptr));
    CHECK((spec.param_name == nullptr) == (spec.param_init == nullptr));
  }
  CHECK(nn::score_kind(nn::ScoreKind::dot).accepts_bilinear);
  CHECK(nn::score_kind(nn::ScoreKind::dot).fused);
}

TEST_CASE("the variant table: unique names, the same config as --set, the study's subset", "[attention][config]") {
  std::set<std::string> names;
  for (const nn::AttentionVariant& v : nn::attention_variants()) {
    INFO(v.name);
    CHECK(names.insert(v.name).second);
    RunConfig by_set;
    for (const std::string& o : v.overrides) apply_override(by_set, o);
    nn::ModelConfig by_table;
    nn::apply_attention_variants(by_table, v.name);
    CHECK(by_table == by_set.model);
  }
  nn::ModelConfig m;
  nn::apply_attention_variants(m, "gqa+rope+bilinear_qk");
  CHECK(m.attention.kv_heads == 1);
  CHECK(m.positions == nn::Positions::rope);
  CHECK(m.attention.qk == nn::QKMode::bilinear);
  REQUIRE_THROWS_WITH(nn::apply_attention_variants(m, "bilinear"),
                      Contains("unknown variant 'bilinear' (known: full, no_q,") && Contains("bilinear_qk"));
  REQUIRE_THROWS_WITH(nn::apply_variant_override(m, "train.seed=3"), Contains("cannot set train.seed"));
  REQUIRE_THROWS_WITH(nn::apply_variant_override(m, "attention.score=gauss"),
                      Contains("attention.score must be one of dot, rbf, cosine, additive"));
}

TEST_CASE("attention.causal and attention.merged are read into the model's block properties", "[attention][config]") {
  RunConfig c = parse_config("[model]\nkind = \"seq2seq\"\n[attention]\ncausal = false\nmerged = true\n", "old.toml");
  CHECK_FALSE(c.model.causal);
  CHECK(c.model.merged);
  apply_override(c, "attention.merged=false");
  CHECK_FALSE(c.model.merged);
  // The written text keeps the keys where checkpoints have them, and nothing new.
  const std::string text = to_toml(RunConfig{});
  CHECK(text.find("[attention]\nq_proj = true\nk_proj = true\nv_proj = true\no_proj = true\nqk = \"separate\"\n"
                  "score = \"dot\"\nkv_heads = 0\nnormalize = \"keys\"\ncausal = true\nmerged = false\n\n[train]") != std::string::npos);
  CHECK(text.find("attention.") == std::string::npos);
}

TEST_CASE("per-attention overrides: parse, --set, round trip and errors", "[attention][config]") {
  RunConfig c = parse_config(R"(
[model]
kind = "seq2seq"
[attention]
q_proj = false
[attention.encoder]
score = "rbf"
[attention.cross]
kv_heads = 2
)", "s.toml");
  apply_override(c, "attention.decoder.score=cosine");
  using nn::AttentionRole;
  CHECK(c.model.attention_for(AttentionRole::encoder).score == nn::ScoreKind::rbf);
  CHECK_FALSE(c.model.attention_for(AttentionRole::encoder).q_proj);  // from [attention]
  CHECK(c.model.attention_for(AttentionRole::decoder).score == nn::ScoreKind::cosine);
  CHECK(c.model.attention_for(AttentionRole::cross).score == nn::ScoreKind::dot);
  CHECK(c.model.attention_for(AttentionRole::cross).kv_heads == 2);
  CHECK(c.model.attention.score == nn::ScoreKind::dot);
  CHECK(c.model.first_override() == "attention.encoder.score");

  const std::string text = to_toml(c);
  CHECK(text.find("[attention.encoder]\nscore = \"rbf\"\n\n[attention.decoder]\nscore = \"cosine\"\n\n"
                  "[attention.cross]\nkv_heads = 2\n\n[train]") != std::string::npos);
  RunConfig back = parse_config(text, "roundtrip");
  CHECK(back.model == c.model);
  CHECK(to_toml(back) == text);

  REQUIRE_THROWS_WITH(parse_config("[attention.encoder]\nscore = \"rbf\"\n", "g.toml"),
                      "config: g.toml: attention.encoder.score is for seq2seq models (model.kind = gpt has one "
                      "attention: set [attention])");
  RunConfig gpt;
  apply_override(gpt, "attention.cross.q_proj=false");
  REQUIRE_THROWS_WITH(validate(gpt), Contains("config: attention.cross.q_proj is for seq2seq models"));
  REQUIRE_THROWS_WITH(nn::GPT(gpt.model, 1), Contains("gpt: attention.cross.q_proj is for seq2seq models"));
  REQUIRE_THROWS_WITH(nn::count_parameters(gpt.model), Contains("model: attention.cross.q_proj is for seq2seq models"));
  REQUIRE_THROWS_WITH(
      parse_config("[model]\nkind = \"seq2seq\"\n[attention]\nmerged = true\n[attention.decoder]\nv_proj = false\n", "m.toml"),
      "config: m.toml: [attention.decoder] does not apply with attention.merged = true: the merged decoder has no "
      "self-attention (its avg_proj and o_proj follow [attention.cross])");
  REQUIRE_THROWS_WITH(parse_config("[model]\nkind = \"seq2seq\"\n[attention.encoder]\ncausal = false\n", "s.toml"),
                      "config: s.toml: attention.encoder.causal is not a per-attention key (expected one of q_proj, "
                      "k_proj, v_proj, o_proj, qk, score, kv_heads, normalize)");
  REQUIRE_THROWS_WITH(apply_override(c, "attention.cross.merged=true"),
                      Contains("--set: attention.cross.merged is not a per-attention key"));
  REQUIRE_THROWS_WITH(parse_config("[model]\nkind = \"seq2seq\"\n[attention.encoder]\nscore = \"gauss\"\n", "s.toml"),
                      Contains("attention.encoder.score in s.toml must be one of dot, rbf"));
}

TEST_CASE("attention.normalize: a per-attention key, queries only where nothing later can be seen",
          "[attention][config][normalize]") {
  RunConfig gpt = parse_config("[attention]\nnormalize = \"sigmoid\"\n", "a.toml");
  CHECK(gpt.model.attention.normalize == Normalize::sigmoid);
  CHECK(parse_config(to_toml(gpt), "again.toml").model == gpt.model);
  REQUIRE_THROWS_WITH(parse_config("[attention]\nnormalize = \"rows\"\n", "a.toml"),
                      Contains("attention.normalize in a.toml must be one of keys, queries, sigmoid, got \"rows\""));
  // A GPT's one attention is causal: over queries it is refused when the model is built.
  apply_override(gpt, "attention.normalize=queries");
  gpt.model.vocab_size = 11;
  REQUIRE_THROWS_WITH(nn::GPT(gpt.model, 1), Contains("normalize = queries cannot be used in causal self-attention"));

  // Seq2seq: allowed in the encoder only, and the error names the attention.
  RunConfig s2s = parse_config("[model]\nkind = \"seq2seq\"\n[attention.encoder]\nnormalize = \"queries\"\n", "s.toml");
  validate(s2s);
  CHECK(s2s.model.attention_for(nn::AttentionRole::encoder).normalize == Normalize::queries);
  CHECK(s2s.model.attention_for(nn::AttentionRole::cross).normalize == Normalize::keys);
  CHECK(to_toml(s2s).find("[attention.encoder]\nnormalize = \"queries\"") != std::string::npos);
  nn::ModelConfig by_variant;
  by_variant.kind = nn::ModelKind::seq2seq;
  nn::apply_attention_variants(by_variant, "normalize_queries");
  CHECK(by_variant.attention_for(nn::AttentionRole::encoder).normalize == Normalize::queries);
  for (const char* role : {"cross", "decoder"}) {
    RunConfig bad = s2s;
    apply_override(bad, std::string("attention.") + role + ".normalize=queries");
    REQUIRE_THROWS_WITH(nn::count_parameters(bad.model),
                        Contains(std::string("attention.") + role + ": normalize = queries cannot be used"));
  }
}
