// qkv gradcheck: float64 gradient checks of every op, layer and model, printed as
// tables; exit 1 when any check fails.
#include <fmt/core.h>

#include <algorithm>

#include "checks/ops/op_cases.h"
#include "base/error.h"
#include "cli/commands.h"
#include "checks/layers/layer_cases.h"

namespace qkv::cli {

namespace {
struct GradcheckArgs {
  bool all = false;
  bool list = false;
  std::string op, layer, variant;
};

struct Tally {
  int run = 0, failed = 0;
  void add(bool passed) {
    ++run;
    failed += !passed;
  }
};

template <typename Names>
void require_known(const Names& names, const std::string& name, const char* what) {
  if (std::find(names.begin(), names.end(), name) == names.end())
    fail("gradcheck: unknown {} '{}'; `qkv gradcheck --list` shows the {} names", what, name, what);
}

// One row per op case.
void run_op_cases(const std::vector<OpCase>& cases, const std::string& only, Tally& tally) {
  fmt::print("{:<14} {:<34} {:<22} {:>10} {:>10}  {}\n", "op", "case", "shapes", "max abs", "max rel", "result");
  for (const OpCase& c : cases) {
    if (!only.empty() && c.op != only) continue;
    GradcheckReport r = c.run();
    double abs_err = 0, rel_err = 0;
    for (const InputReport& in : r.inputs) {
      abs_err = std::max(abs_err, in.max_abs_err);
      rel_err = std::max(rel_err, in.max_rel_err);
    }
    tally.add(r.passed);
    fmt::print("{:<14} {:<34} {:<22} {:>10.2e} {:>10.2e}  {}\n", c.op, c.variant, c.shapes(), abs_err, rel_err,
               r.passed ? "pass" : "FAIL");
    if (!r.passed) fmt::print("{}", r.str());
  }
}

// One block per layer case, one row per input and per parameter.
void run_layer_cases(const std::vector<nn::LayerCase>& cases, const std::string& layer, const std::string& variant,
                     Tally& tally) {
  for (const nn::LayerCase& c : cases) {
    if (!layer.empty() && c.layer != layer) continue;
    if (!variant.empty() && c.variant != variant) continue;
    GradcheckReport r = c.run();
    tally.add(r.passed);
    fmt::print("\n{} / {}: {}\n", c.layer, c.variant, r.passed ? "pass" : "FAIL");
    fmt::print("  {:<40} {:<12} {:>10} {:>10}  {}\n", "gradient of", "shape", "max abs", "max rel", "result");
    for (const InputReport& in : r.inputs) {
      fmt::print("  {:<40} {:<12} {:>10.2e} {:>10.2e}  {}\n", in.name, in.shape.str(), in.max_abs_err, in.max_rel_err,
                 in.passed ? "pass" : "FAIL");
      if (!in.passed)
        fmt::print("    worst at {} (output {}): analytic {:.6g}, numeric {:.6g}\n", in.worst_index.str(),
                   in.worst_output, in.analytic, in.numeric);
    }
  }
}

int run_gradcheck(const GradcheckArgs& args) {
  if (args.list) {
    fmt::print("ops:");
    for (const std::string& n : checked_op_names(all_op_cases())) fmt::print(" {}", n);
    fmt::print("\nlayers:");
    std::vector<nn::LayerCase> layers = nn::all_layer_cases();
    for (const std::string& n : nn::checked_layer_names(layers)) fmt::print(" {}", n);
    fmt::print("\nvariants:\n");
    for (const nn::LayerCase& c : layers) fmt::print("  --layer {} --variant {}\n", c.layer, c.variant);
    return 0;
  }
  if (!args.all && args.op.empty() && args.layer.empty())
    fail("gradcheck: give --all, --op NAME or --layer NAME (--list shows the names)");
  if (!args.variant.empty() && args.layer.empty()) fail("gradcheck: --variant needs --layer");

  Tally tally;
  if (args.all || !args.op.empty()) {
    std::vector<OpCase> ops = all_op_cases();
    if (!args.op.empty()) require_known(checked_op_names(ops), args.op, "op");
    run_op_cases(ops, args.op, tally);
  }
  if (args.all || !args.layer.empty()) {
    std::vector<nn::LayerCase> layers = nn::all_layer_cases();
    if (!args.layer.empty()) require_known(nn::checked_layer_names(layers), args.layer, "layer");
    if (!args.variant.empty()) {
      bool found = std::any_of(layers.begin(), layers.end(), [&](const nn::LayerCase& c) {
        return c.layer == args.layer && c.variant == args.variant;
      });
      if (!found) fail("gradcheck: layer '{}' has no variant '{}' (`qkv gradcheck --list` shows them)", args.layer, args.variant);
    }
    run_layer_cases(layers, args.layer, args.variant, tally);
  }
  fmt::print("\n{} of {} checks passed (float64, central differences)\n", tally.run - tally.failed, tally.run);
  return tally.failed ? 1 : 0;
}
}  // namespace

Runner add_gradcheck_command(CLI::App& app) {
  auto args = std::make_shared<GradcheckArgs>();
  CLI::App* sub = app.add_subcommand("gradcheck", "float64 gradient checks, one row per input and parameter; exit 1 on failure");
  sub->add_flag("--all", args->all, "check every op and every layer");
  sub->add_option("--op", args->op, "check one op by name");
  sub->add_option("--layer", args->layer, "check one layer or model by name");
  sub->add_option("--variant", args->variant, "with --layer: one variant (e.g. no_q/self/causal)");
  sub->add_flag("--list", args->list, "list the op, layer and variant names");
  return [args] { return run_gradcheck(*args); };
}

}  // namespace qkv::cli
