#include "cli/bounds.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace qkv::cli {

namespace {

// ">= 1" or "in [1, 64]".
std::string range_text(double min, double max) {
  return std::isinf(max) ? fmt::format(">= {}", min) : fmt::format("in [{}, {}]", min, max);
}

}  // namespace

CLI::Validator bounded(double min, double max) {
  const std::string range = range_text(min, max);
  // CLI11 puts "--name: " before the message; main's error line joins the two (cli/main.cpp).
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "";  // not a number: CLI11's conversion error says so
        if (!std::isfinite(v)) return fmt::format("must be a finite number {}, got {}", range, text);
        if (v < min || v > max) return fmt::format("must be {}, got {}", range, text);
        return "";
      },
      range);
}

CLI::Validator non_empty(const char* expected) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        return text.empty() ? fmt::format("must not be empty (expected {})", expected) : "";
      },
      "NOT EMPTY");
}

}  // namespace qkv::cli
