// Parsing TOML text with errors in qkv's form: "config: FILE:LINE:COL: what is wrong".
// Shared by the run config and the ablation study's [ablate] section.
#pragma once
#include <string>
#include <toml++/toml.h>

namespace qkv {

toml::table parse_toml(const std::string& text, const std::string& origin);

}  // namespace qkv
