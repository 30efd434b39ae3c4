// qkv ablate --config FILE [--variants a,b,c] [--seeds N] [--match none|params|flops]
//            [--task lm|translation] [--out DIR] [--quick] [--set k=v ...] [--dry-run] [--list]
// qkv ablate --redraw DIR
#include <fmt/core.h>

#include "base/error.h"
#include "cli/bounds.h"
#include "dist/agree.h"
#include "cli/commands.h"
#include "config/memory_budget.h"
#include "io/output_folder.h"
#include "nn/attention_variants.h"
#include "study/ablate.h"
#include "study/ablate_report.h"

namespace qkv::cli {

namespace {
// Each seed is a full training run of every variant: a thousand is days of CPU already.
constexpr double kMaxSeeds = 1000;

struct AblateArgs {
  std::string config, match, task, out, redraw;
  std::vector<std::string> variants, sets;
  int64_t seeds = 0;
  bool quick = false, quiet = false, dry_run = false, list = false;
};

void print_variants(const std::vector<Variant>& user) {
  fmt::print("built-in variants (name: overrides):\n");
  for (const Variant& v : builtin_variants())
    fmt::print("  {:<12} {:<28} {}\n", v.name, v.overrides.empty() ? "-" : v.text(), v.about);
  if (!user.empty()) fmt::print("variants of the config ([ablate.variants]):\n");
  for (const Variant& v : user) fmt::print("  {:<12} {}\n", v.name, v.text());
}

void print_plan(const StudyPlan& plan) {
  fmt::print("qkv ablate: {} variants x {} seeds = {} runs in {}; --match {} (base: {} parameters, {:.3f} MFLOPs/token)\n",
             plan.variants.size(), plan.seeds, static_cast<int64_t>(plan.variants.size()) * plan.seeds, plan.out,
             name(plan.match), plan.base_parameters, plan.base_flops_per_token / 1e6);
  fmt::print("  {:<12} {:>10} {:>11} {:>8} {:>12} {:>8}  overrides\n", "variant", "mlp_hidden", "parameters", "gap",
             "MFLOPs/tok", "gap");
  for (const PlannedVariant& p : plan.variants)
    fmt::print("  {:<12} {:>10} {:>11} {:>+7.2f}% {:>12.3f} {:>+7.2f}%  {}\n", p.variant.name, p.config.model.hidden(),
               p.parameters, 100.0 * static_cast<double>(p.parameters - plan.base_parameters) / static_cast<double>(plan.base_parameters),
               p.flops_per_token / 1e6, 100.0 * (p.flops_per_token - plan.base_flops_per_token) / plan.base_flops_per_token,
               p.variant.overrides.empty() ? "-" : p.variant.text());
}
}  // namespace

Runner add_ablate_command(CLI::App& app) {
  auto a = std::make_shared<AblateArgs>();
  CLI::App* sub = app.add_subcommand(
      "ablate", "the Q/K/V ablation study: train every variant with every seed, then a table and plots (docs/ablations.md)");
  sub->add_option("--config", a->config, "the base TOML config; may hold an [ablate] section (see configs/ablate-qkv.toml)");
  sub->add_option("--variants", a->variants, "comma-separated variant names (default: [ablate] study, or all built-ins; --list)")
      ->delimiter(',');
  sub->add_option("--seeds", a->seeds, "runs per variant, train.seed = seed + 0 .. N-1 (default: [ablate] seeds, or 3)")
      ->check(bounded(1, kMaxSeeds));
  sub->add_option("--match", a->match, "none, params or flops: adjust model.mlp_hidden to the base's size (default: [ablate] match, or none)")
      ->check(CLI::IsMember({"none", "params", "flops"}));
  sub->add_option("--task", a->task, "lm or translation; must match the config's model.kind (gpt or seq2seq), its default")
      ->check(CLI::IsMember({"lm", "translation"}));
  sub->add_option("--out", a->out, "the study's folder (default: train.out of the config, + \"-quick\" with --quick)")
      ->check(non_empty("a folder"));
  sub->add_option("--set", a->sets, "override a key of the base config: section.key=value (repeatable)");
  sub->add_flag("--quick", a->quick, "shrink the config (1 layer, 30 steps) to try the whole study in a minute or two");
  sub->add_flag("--dry-run", a->dry_run, "print the plan (sizes, matched mlp_hidden) and stop before training");
  sub->add_flag("--list", a->list, "list the variants and exit");
  sub->add_flag("--quiet", a->quiet, "no progress lines");
  sub->add_option("--redraw", a->redraw, "draw DIR/results.png again from DIR/runs.csv alone (no config, no training)");
  return [a] {
    if (!a->redraw.empty()) {
      const std::string png = redraw_forest_plot(a->redraw);
      fmt::print("{}\n", png.empty() ? "gnuplot not found: no picture" : "differences from full: " + png);
      return 0;
    }
    StudyConfig sc;
    if (!a->config.empty()) sc = load_study_config(a->config);
    if (a->list) {
      print_variants(sc.ablate.variants);
      return 0;
    }
    QKV_CHECK(!a->config.empty(), "ablate: --config FILE is required (for example configs/ablate-qkv.toml)");

    StudyOptions opt;
    opt.base = sc.run;
    if (a->quick) apply_quick(opt.base);
    for (const std::string& s : a->sets) apply_override(opt.base, s);
    validate(opt.base);
    const bool seq2seq = opt.base.model.kind == nn::ModelKind::seq2seq;
    QKV_CHECK(a->task.empty() || (a->task == "translation") == seq2seq,
          "ablate: --task {} needs a {} config; {} has model.kind = {} (see configs/ablate-qkv.toml and "
          "configs/ablate-translation.toml)",
          a->task, a->task == "translation" ? "seq2seq" : "gpt", a->config, seq2seq ? "seq2seq" : "gpt");
    opt.user_variants = sc.ablate.variants;
    opt.variants = !a->variants.empty() ? a->variants : sc.ablate.study;
    if (opt.variants.empty())  // every built-in variant that fits the model (GPT: no per-role keys)
      for (const Variant& v : builtin_variants())
        if (seq2seq || !nn::sets_attention_role(v.overrides)) opt.variants.push_back(v.name);
    opt.seeds = a->seeds > 0 ? a->seeds : sc.ablate.seeds > 0 ? sc.ablate.seeds : 3;
    opt.match = parse_match(!a->match.empty() ? a->match : !sc.ablate.match.empty() ? sc.ablate.match : "none");
    opt.out = !a->out.empty() ? a->out : opt.base.train.out + (a->quick ? "-quick" : "");

    const int64_t vocab = study_vocab_size(opt.base, "");
    StudyPlan plan = plan_study(opt, vocab);
    // Every variant must fit before the first run starts: a study takes hours.
    for (const PlannedVariant& p : plan.variants) check_memory_budget(p.config, "ablate: variant " + p.variant.name, vocab);
    dist::Communicator& world = dist::Communicator::world();
    if (world.is_root()) print_plan(plan);
    if (a->dry_run) return 0;
    dist::agree(world, [&] {
      if (world.is_root()) create_output_folder(plan.out, "ablate");
    });
    StudyResult result = run_study(plan, RunStudyOptions{"", !a->quiet});
    if (!world.is_root()) return result.interrupted ? 130 : 0;  // rank 0 writes the report
    if (world.size() > 1) fmt::print("ablate: {} runs over {} ranks\n", result.runs.size(), world.size());
    ReportFiles files = write_report(plan, result);
    fmt::print("\n{}\n", results_table(summarize(plan, result)));
    fmt::print("runs: {} trained, {} resumed, {} finished before (skipped)\n", result.trained, result.resumed, result.skipped);
    fmt::print("report: {} and {} (per run: {})\n", files.md, files.csv, files.runs_csv);
    if (!files.forest.empty()) fmt::print("differences from full: {}\n", files.forest);
    if (!files.curves.empty()) fmt::print("loss curves: {}\n", files.curves);
    else if (!result.runs.empty()) fmt::print("loss curves: gnuplot not found; the data is in {}/<variant>/metrics-mean.csv\n", plan.out);
    if (!files.attention.empty())
      fmt::print("attention maps (layer 0): {}/<variant>/attn/ ({} files{})\n", plan.out, files.attention.size(),
                 files.attention.front().ends_with(".csv") ? ", CSV: gnuplot not found" : "");
    if (result.interrupted) {
      fmt::print("interrupted: run the same command again to finish the study (finished runs are kept)\n");
      return 130;
    }
    return 0;
  };
}

}  // namespace qkv::cli
