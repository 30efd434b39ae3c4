// The named attention variants of docs/design.md section 3, in one table: each name
// stands for config overrides written as --set writes them ("attention.qk=bilinear").
// `qkv ablate` takes its built-in variants from it (those marked in_study), the
// gradcheck cases and the tests build their layers from it, so a variant has one
// spelling everywhere.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "nn/config.h"

namespace qkv::nn {

struct AttentionVariant {
  std::string name;
  std::vector<std::string> overrides;  // "section.key=value", as --set
  std::string description;
  bool in_study = false;  // one of `qkv ablate`'s built-in variants
};

// full, no_q, no_k, no_v, no_o, shared_qk, bilinear_qk, rbf, cosine, additive, sigmoid,
// normalize_queries (the study's, in its order; normalize_queries is for seq2seq), then
// gqa, rope, no_bias.
const std::vector<AttentionVariant>& attention_variants();
// The variant called `name`, or null.
const AttentionVariant* find_attention_variant(std::string_view name);
// Whether overrides set a key of one of seq2seq's attentions (attention.ROLE.KEY, as
// normalize_queries does): a GPT, with its one attention, refuses them.
bool sets_attention_role(const std::vector<std::string>& overrides);
// "full, no_q, ...": the names, for messages.
std::string attention_variant_names();

// Applies one override to cfg: attention.KEY=VALUE for a per-attention key
// (for_each_attention_key; enum values through their name tables), attention.ROLE.KEY
// for one of seq2seq's attentions (encoder, decoder, cross), model.positions or
// model.bias. Any other key, or a wrong value, is an Error naming it. Agrees with
// config's apply_override on these keys (tests/test_attention_variants.cpp).
void apply_variant_override(ModelConfig& cfg, std::string_view assignment);
// Applies the variants named in `names`, joined by '+' ("gqa+rope"); an unknown name is
// an Error listing the known ones.
void apply_attention_variants(ModelConfig& cfg, std::string_view names);

}  // namespace qkv::nn
