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
    for_each_attention_key([&](std::string_view name, auto) {
      if (found.empty() && overrides[static_cast<size_t>(role)].keys.contains(name))
        found = "attention." + std::string(role_name) + "." + std::string(name);
    });
  return found;
}

}  // namespace qkv::nn
