// qkv data NAME: prepares a dataset from Debian packages (placeholder until it lands).
#include "autograd/error.h"
#include "cli/commands.h"

namespace qkv::cli {

Runner add_data_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("data", "prepare a dataset from Debian packages (not yet available)");
  sub->allow_extras();
  return [] {
    fail("data: not implemented yet");
    return 2;
  };
}

}  // namespace qkv::cli
