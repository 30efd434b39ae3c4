// The TOML run config: parse_config (what load_config does after reading the file), the
// `--set` overrides, validate, and the round trip through to_toml that every checkpoint
// relies on (its config attribute is to_toml's text, parsed again on load).
// Input: TOML text. Lines "#set section.key=value" (TOML comments, so the text stays
// TOML) are also applied as --set overrides after parsing.
#include <string>

#include "config/config.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qkv;
  const std::string text(fuzz::as_text(data, size));
  fuzz::expect_only_qkv_errors([&] {
    RunConfig cfg = parse_config(text, "fuzz.toml");
    for (size_t pos = 0; pos < text.size();) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      if (text.compare(pos, 5, "#set ") == 0 && eol > pos + 5) apply_override(cfg, text.substr(pos + 5, eol - pos - 5));
      pos = eol + 1;
    }
    // What --set may do is held to validate (as the CLI does) before the round trip.
    validate(cfg);
    // A valid config is written back as TOML that parses to the same config (checkpoints
    // store it so).
    const std::string written = to_toml(cfg);
    RunConfig again;
    try {
      again = parse_config(written, "to_toml");
    } catch (const Error& e) {
      std::fprintf(stderr, "fuzz: to_toml wrote text that parse_config refuses: %s\n--- to_toml:\n%s\n", e.what(),
                   written.c_str());
      std::abort();
    }
    QKV_FUZZ_ASSERT(to_toml(again) == written, "parse_config(to_toml(cfg)) is not cfg");
  });
  return 0;
}
