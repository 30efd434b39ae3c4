// What every fuzz target shares: bad input must end in a qkv::Error (the expected outcome,
// caught here); any other exception is a finding and aborts with its message, as a crash or
// a sanitizer report does. Files the readers need are written to one temporary folder per
// process, removed at exit.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "base/error.h"
#include "config/config.h"

namespace qkv::fuzz {

// Runs body(); a qkv::Error is swallowed, anything else is reported and aborts.
template <typename Body>
void expect_only_qkv_errors(Body&& body) {
  try {
    body();
  } catch (const qkv::Error&) {
    // Bad input, rejected with a message: what we want.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: an exception other than qkv::Error escaped: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: a non-std exception escaped\n");
    std::abort();
  }
}

// A folder of this process's own, created on first use and removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "qkv-fuzz-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

// Writes bytes to scratch_dir()/name (replacing it) and returns the path.
inline std::string write_scratch(const std::string& name, std::string_view bytes) {
  std::filesystem::path p = scratch_dir() / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", p.c_str());
    std::abort();
  }
  return p.string();
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// load_model builds the model its config describes before it checks the weights fit; a
// config edited into a huge model is then an allocation failure (std::bad_alloc, which the
// CLI reports), not a crash, and not what the checkpoint targets look for: they load a
// checkpoint's model only when this holds.
inline bool small_model(const RunConfig& cfg) {
  const auto& m = cfg.model;
  return m.n_layer <= 4 && m.n_embd <= 256 && m.block_size <= 1024 && m.hidden() <= 1024 && m.n_head <= 64;
}

// A property the target checks on input that was accepted; a violation is a finding.
#define QKV_FUZZ_ASSERT(cond, what)                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "fuzz: %s:%d: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

}  // namespace qkv::fuzz
