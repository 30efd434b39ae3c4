// The per-attention overrides of nn/config.h.
#include "nn/config.h"

namespace qkv::nn {

AttentionConfig AttentionOverride::over(const AttentionConfig& base) const {
  AttentionConfig out = base;
  for_each_attention_key([&](std::string_view name, auto field) {
    if (keys.contains(name)) out.*field = values.*field;
  });
  return out;
}

AttentionConfig ModelConfig::attention_for(AttentionRole role) const {
  return overrides[static_cast<size_t>(role)].over(attention);
}

std::string ModelConfig::first_override() const {
  std::string found;
  for (const auto& [role, role_name] : EnumNames<AttentionRole>::table)
    for_each_attention_key([&, role = role, role_name = role_name](std::string_view name, auto) {
      if (found.empty() && overrides[static_cast<size_t>(role)].keys.contains(name))
        found = "attention." + std::string(role_name) + "." + std::string(name);
    });
  return found;
}

std::string ModelConfig::override_problem() const {
  const std::string key = first_override();
  if (key.empty()) return "";
  if (kind != ModelKind::seq2seq)
    return key + " is for seq2seq models (model.kind = " + std::string(name_of(kind)) +
           " has one attention: set [attention])";
  if (merged && !overrides[static_cast<size_t>(AttentionRole::decoder)].keys.empty())
    return "[attention.decoder] does not apply with attention.merged = true: the merged decoder has no "
           "self-attention (its avg_proj and o_proj follow [attention.cross])";
  return "";
}

}  // namespace qkv::nn
