// Each subcommand registers its options on the CLI11 app and runs when chosen.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace qkv::cli {

// Adds a subcommand; returns the function main calls when it was chosen (returns the exit code).
using Runner = std::function<int()>;
Runner add_gradcheck_command(CLI::App& app);
Runner add_data_command(CLI::App& app);
Runner add_train_command(CLI::App& app);
Runner add_sample_command(CLI::App& app);
Runner add_translate_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_ablate_command(CLI::App& app);
Runner add_attn_command(CLI::App& app);

}  // namespace qkv::cli
