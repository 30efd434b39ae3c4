// Typed model configuration: the [model] and [attention] sections of a run's TOML
// (docs/design.md section 5), with the defaults documented here. Key names follow nanoGPT.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "autograd/ops/attention_options.h"
#include "base/names.h"

namespace qkv::nn {

enum class QKMode { separate, shared, bilinear };
enum class ScoreKind { dot, rbf, cosine, additive };
enum class Positions { learned, sinusoidal, rope };
enum class MlpKind { gelu, swiglu };
enum class ModelKind { gpt, seq2seq };
// The three attentions of a seq2seq model: encoder self-attention, decoder
// self-attention, cross-attention (GPT's one attention is its decoder's).
enum class AttentionRole { encoder, decoder, cross };

// [attention]: how every attention layer of the model is built. What is a property of
// the block rather than of one attention (causal, merged) lives in ModelConfig.
struct AttentionConfig {
  bool q_proj = true;  // false: the projection is the identity (head h reads columns h*dh..)
  bool k_proj = true;
  bool v_proj = true;
  bool o_proj = true;
  QKMode qk = QKMode::separate;     // shared: Wk = Wq; bilinear: one d x d matrix per head
  ScoreKind score = ScoreKind::dot;  // dot, rbf (-|q-k|^2), cosine (learned tau), additive
  int64_t kv_heads = 0;              // grouped-query attention; 0 means n_head
  // How scores become weights: softmax over keys, over queries, or a sigmoid
  // (docs/design.md section 3, Normalization; the op options in autograd/ops/attention_options.h).
  Normalize normalize = Normalize::keys;

  bool operator==(const AttentionConfig&) const = default;
};

// The per-attention keys by their TOML name, in to_toml's order: the config parser,
// --set, to_toml, the [attention.encoder] ... overrides and the variant table
// (nn/attention_variants.h) all visit this list, so a new per-attention switch is a
// field above and one line here. visit(name, &AttentionConfig::field).
template <typename Visit>
void for_each_attention_key(Visit&& visit) {
  visit("q_proj", &AttentionConfig::q_proj);
  visit("k_proj", &AttentionConfig::k_proj);
  visit("v_proj", &AttentionConfig::v_proj);
  visit("o_proj", &AttentionConfig::o_proj);
  visit("qk", &AttentionConfig::qk);
  visit("score", &AttentionConfig::score);
  visit("kv_heads", &AttentionConfig::kv_heads);
  visit("normalize", &AttentionConfig::normalize);
}

// [attention.encoder], [attention.decoder], [attention.cross]: the per-attention keys
// set for one of seq2seq's attentions; every other key comes from [attention].
struct AttentionOverride {
  AttentionConfig values;                     // read only for the keys in `keys`
  std::set<std::string, std::less<>> keys;  // the keys set

  AttentionConfig over(const AttentionConfig& base) const;
  bool operator==(const AttentionOverride&) const = default;
};

// [model]
struct ModelConfig {
  ModelKind kind = ModelKind::gpt;
  int64_t vocab_size = 65;
  int64_t n_layer = 4;  // per side for seq2seq (encoder and decoder)
  int64_t n_head = 4;
  int64_t n_embd = 128;
  int64_t block_size = 64;  // longest sequence (source or target for seq2seq)
  double dropout = 0.0;
  bool bias = true;  // biases in Linear layers and LayerNorm
  bool tie_embeddings = true;
  Positions positions = Positions::learned;
  MlpKind mlp = MlpKind::gelu;
  int64_t mlp_hidden = 0;  // 0 means 4 * n_embd
  AttentionConfig attention;
  std::array<AttentionOverride, 3> overrides;  // by AttentionRole; seq2seq only
  // Block properties, read from the TOML keys attention.causal and attention.merged:
  bool causal = true;   // the decoder's self-attention (GPT, seq2seq); encoders never are
  bool merged = false;  // seq2seq decoder: one MAtt sublayer instead of two

  int64_t hidden() const { return mlp_hidden > 0 ? mlp_hidden : 4 * n_embd; }
  // The attention config of one role: [attention] with that role's overrides on top.
  AttentionConfig attention_for(AttentionRole role) const;
  AttentionOverride& override_for(AttentionRole role) { return overrides[static_cast<size_t>(role)]; }
  // The first override set, as its key ("attention.encoder.score"); empty when none.
  std::string first_override() const;
  // Why the overrides do not fit the model, or "" when they do: a GPT has one attention,
  // and a merged decoder has no self-attention to override (docs/design.md section 3).
  std::string override_problem() const;
  bool operator==(const ModelConfig&) const = default;
};

}  // namespace qkv::nn

namespace qkv {

// The spelling of each enum in configs, messages and listings (base/names.h).
template <>
struct EnumNames<nn::QKMode> {
  static constexpr std::pair<nn::QKMode, std::string_view> table[] = {
      {nn::QKMode::separate, "separate"}, {nn::QKMode::shared, "shared"}, {nn::QKMode::bilinear, "bilinear"}};
};
template <>
struct EnumNames<nn::ScoreKind> {
  static constexpr std::pair<nn::ScoreKind, std::string_view> table[] = {{nn::ScoreKind::dot, "dot"},
                                                                         {nn::ScoreKind::rbf, "rbf"},
                                                                         {nn::ScoreKind::cosine, "cosine"},
                                                                         {nn::ScoreKind::additive, "additive"}};
};
template <>
struct EnumNames<nn::Positions> {
  static constexpr std::pair<nn::Positions, std::string_view> table[] = {
      {nn::Positions::learned, "learned"}, {nn::Positions::sinusoidal, "sinusoidal"}, {nn::Positions::rope, "rope"}};
};
template <>
struct EnumNames<nn::MlpKind> {
  static constexpr std::pair<nn::MlpKind, std::string_view> table[] = {{nn::MlpKind::gelu, "gelu"},
                                                                       {nn::MlpKind::swiglu, "swiglu"}};
};
template <>
struct EnumNames<nn::AttentionRole> {
  static constexpr std::pair<nn::AttentionRole, std::string_view> table[] = {
      {nn::AttentionRole::encoder, "encoder"}, {nn::AttentionRole::decoder, "decoder"}, {nn::AttentionRole::cross, "cross"}};
};
template <>
struct EnumNames<nn::ModelKind> {
  static constexpr std::pair<nn::ModelKind, std::string_view> table[] = {{nn::ModelKind::gpt, "gpt"},
                                                                         {nn::ModelKind::seq2seq, "seq2seq"}};
};

}  // namespace qkv
