// qkv gradcheck: runs the float64 gradient checks of every op and prints a table.
#include <fmt/core.h>

#include <algorithm>

#include "autograd/checks/op_cases.h"
#include "autograd/error.h"
#include "cli/commands.h"

namespace qkv::cli {

namespace {
struct GradcheckArgs {
  bool all = false;
  std::string op;
  bool list = false;
};

int run_gradcheck(const GradcheckArgs& args) {
  std::vector<OpCase> cases = all_op_cases();
  if (args.list) {
    for (const std::string& name : checked_op_names(cases)) fmt::print("{}\n", name);
    return 0;
  }
  if (!args.all && args.op.empty()) fail("gradcheck: give --all or --op NAME (--list shows the ops)");
  if (!args.op.empty()) {
    std::vector<std::string> names = checked_op_names(cases);
    if (std::find(names.begin(), names.end(), args.op) == names.end())
      fail("gradcheck: unknown op '{}'; `qkv gradcheck --list` shows the {} ops", args.op, names.size());
  }
  fmt::print("{:<14} {:<32} {:<22} {:>10} {:>10}  {}\n", "op", "case", "shapes", "max abs", "max rel", "result");
  int failed = 0, run = 0;
  for (const OpCase& c : cases) {
    if (!args.all && c.op != args.op) continue;
    GradcheckReport r = c.run();
    double abs_err = 0, rel_err = 0;
    for (const InputReport& in : r.inputs) {
      abs_err = std::max(abs_err, in.max_abs_err);
      rel_err = std::max(rel_err, in.max_rel_err);
    }
    ++run;
    failed += !r.passed;
    fmt::print("{:<14} {:<32} {:<22} {:>10.2e} {:>10.2e}  {}\n", c.op, c.variant, c.shapes(), abs_err, rel_err,
               r.passed ? "pass" : "FAIL");
    if (!r.passed) fmt::print("{}", r.str());
  }
  fmt::print("\n{} of {} checks passed (float64, central differences)\n", run - failed, run);
  return failed ? 1 : 0;
}
}  // namespace

Runner add_gradcheck_command(CLI::App& app) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* sub = app.add_subcommand("gradcheck", "float64 gradient checks: one row per case; exit 1 on failure");
  sub->add_flag("--all", args->all, "check every op");
  sub->add_option("--op", args->op, "check one op by name");
  sub->add_flag("--list", args->list, "list the op names");
  return [args] { return run_gradcheck(*args); };
}

}  // namespace qkv::cli
