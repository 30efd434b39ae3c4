// CLI11's parse errors as qkv's one error line: "qkv: error: sample: --tokens must be
// >= 0, got -5" instead of CLI11's two lines (the message, then "Run with --help").
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace qkv::cli {

// The text after "qkv: error: ": the subcommand being parsed, if any, then the message
// on one line; a missing or unknown command lists the commands.
std::string parse_error_line(const CLI::App& app, const CLI::ParseError& e);

}  // namespace qkv::cli
