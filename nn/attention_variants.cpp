#include "nn/attention_variants.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <type_traits>

#include "base/error.h"
#include "base/names.h"

namespace qkv::nn {

const std::vector<AttentionVariant>& attention_variants() {
  static const std::vector<AttentionVariant> table = {
      {"full", {}, "the base config as it is: Q, K, V, O projections, scaled dot product", true},
      {"no_q", {"attention.q_proj=false"}, "no Wq: head h queries with columns h*dh.. of its input", true},
      {"no_k", {"attention.k_proj=false"}, "no Wk: head h keys are columns h*dh.. of its input", true},
      {"no_v", {"attention.v_proj=false"}, "no Wv: head h mixes columns h*dh.. of its input", true},
      {"no_o", {"attention.o_proj=false"}, "no Wo: the heads' outputs are concatenated as they are", true},
      {"shared_qk", {"attention.qk=shared"}, "Wk = Wq (one matrix): symmetric scores before the mask", true},
      {"bilinear_qk", {"attention.qk=bilinear"}, "one full d x d matrix per head instead of Wq_h Wk_h^T", true},
      {"rbf", {"attention.score=rbf"}, "score -|q - k|^2 / (2 sqrt(dh)): Gaussian kernel smoothing", true},
      {"cosine", {"attention.score=cosine"}, "score tau_h cos(q, k) with a learned tau per head", true},
      {"additive", {"attention.score=additive"}, "score v_h^T tanh(q + k) (Bahdanau)", true},
      {"sigmoid", {"attention.normalize=sigmoid"}, "weights sigmoid(score - log n) instead of a softmax over keys",
       true},
      {"normalize_queries", {"attention.encoder.normalize=queries"},
       "seq2seq: the encoder's softmax over queries (each key spreads one unit over the queries)", true},
      {"gqa", {"attention.kv_heads=1"}, "grouped-query attention: one key/value head for all query heads"},
      {"rope", {"model.positions=rope"}, "rotary positions on q and k instead of a position table"},
      {"no_bias", {"model.bias=false"}, "no biases in the projections (nor in the norms)"},
  };
  return table;
}

const AttentionVariant* find_attention_variant(std::string_view name) {
  for (const AttentionVariant& v : attention_variants())
    if (v.name == name) return &v;
  return nullptr;
}

namespace {

// An attention key after "attention.": "score" (every attention) or "encoder.score" (one
// of seq2seq's, by its role).
struct AttentionKey {
  std::optional<AttentionRole> role;
  std::string_view name;
};

AttentionKey split_attention_key(std::string_view key) {
  AttentionRole role{};
  if (const size_t dot = key.find('.'); dot != std::string_view::npos && find_name(key.substr(0, dot), &role))
    return {role, key.substr(dot + 1)};
  return {std::nullopt, key};
}

}  // namespace

bool sets_attention_role(const std::vector<std::string>& overrides) {
  for (std::string_view o : overrides)
    if (o.starts_with("attention.") && split_attention_key(o.substr(10, o.find('=') - 10)).role) return true;
  return false;
}

std::string attention_variant_names() {
  std::string out;
  for (const AttentionVariant& v : attention_variants()) out += (out.empty() ? "" : ", ") + v.name;
  return out;
}

namespace {

// A value as --set spells it, without quotes: true/false, an integer, or an enum's name.
template <typename T>
void set_from_text(T& field, std::string_view text, std::string_view key) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  if constexpr (std::is_same_v<T, bool>) {
    QKV_CHECK(text == "true" || text == "false", "attention variant: {} must be true or false, got \"{}\"", key, text);
    field = text == "true";
  } else if constexpr (std::is_same_v<T, int64_t>) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), field);
    QKV_CHECK(ec == std::errc() && end == text.data() + text.size(), "attention variant: {} must be an integer, got \"{}\"",
              key, text);
  } else {
    field = parse_name<T>(text, "attention variant: " + std::string(key));
  }
}

}  // namespace

void apply_variant_override(ModelConfig& cfg, std::string_view assignment) {
  const size_t eq = assignment.find('=');
  QKV_CHECK(eq != std::string_view::npos, "attention variant: expected section.key=value, got \"{}\"", assignment);
  const std::string_view key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  bool found = false;
  if (key == "model.positions") {
    set_from_text(cfg.positions, value, key);
    found = true;
  } else if (key == "model.bias") {
    set_from_text(cfg.bias, value, key);
    found = true;
  } else if (key.starts_with("attention.")) {
    // attention.KEY, or attention.ROLE.KEY for one of seq2seq's three attentions.
    const auto [role, name] = split_attention_key(key.substr(10));
    AttentionOverride* override = role ? &cfg.override_for(*role) : nullptr;
    AttentionConfig& target = override ? override->values : cfg.attention;
    for_each_attention_key([&, name = name](std::string_view field_name, auto field) {
      if (name != field_name) return;
      set_from_text(target.*field, value, key);
      if (override) override->keys.insert(std::string(name));
      found = true;
    });
  }
  QKV_CHECK(found,
            "attention variant: cannot set {} (a variant sets per-attention keys, attention.ROLE.KEY, "
            "model.positions or model.bias)",
            key);
}

void apply_attention_variants(ModelConfig& cfg, std::string_view names) {
  size_t start = 0;
  while (start <= names.size()) {
    const size_t plus = std::min(names.find('+', start), names.size());
    const std::string_view name = names.substr(start, plus - start);
    const AttentionVariant* v = find_attention_variant(name);
    QKV_CHECK(v != nullptr, "attention variant: unknown variant '{}' (known: {})", name, attention_variant_names());
    for (const std::string& o : v->overrides) apply_variant_override(cfg, o);
    start = plus + 1;
  }
}

}  // namespace qkv::nn
