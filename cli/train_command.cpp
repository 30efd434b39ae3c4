// qkv train --config FILE [--set section.key=value ...] [--out DIR] [--resume | --overwrite]
#include <fmt/core.h>

#include "cli/bounds.h"
#include "dist/communicator.h"
#include "cli/commands.h"
#include "train/trainer.h"

namespace qkv::cli {

namespace {
struct TrainArgs {
  std::string config;
  std::vector<std::string> sets;
  std::string out;
  bool resume = false;
  bool overwrite = false;
  bool quiet = false;
  bool profile = false;
};
}  // namespace

RunConfig config_from_args(const std::string& path, const std::vector<std::string>& sets) {
  RunConfig cfg = load_config(path);
  for (const std::string& s : sets) apply_override(cfg, s);
  validate(cfg);
  return cfg;
}

Runner add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand("train", "train a model from a TOML config (Ctrl-C saves a checkpoint and stops)");
  sub->add_option("--config", args->config, "TOML config (see configs/)")->required();
  sub->add_option("--set", args->sets, "override a config key: section.key=value (repeatable)");
  sub->add_option("--out", args->out, "output folder (default: train.out of the config)")->check(non_empty("a folder"));
  CLI::Option* resume =
      sub->add_flag("--resume", args->resume, "continue from the newest checkpoint in the output folder");
  sub->add_flag("--overwrite", args->overwrite,
                "start over in an output folder that holds a run (deletes its checkpoints and metrics)")
      ->excludes(resume);
  sub->add_flag("--quiet", args->quiet, "no progress line");
  sub->add_flag("--profile", args->profile, "time each step by op family and print the table at the end");
  return [args] {
    TrainOptions opt;
    opt.config = config_from_args(args->config, args->sets);
    if (!args->out.empty()) opt.config.train.out = args->out;
    opt.resume = args->resume;
    opt.overwrite = args->overwrite;
    opt.progress = !args->quiet;
    opt.profile = args->profile;
    TrainResult r = train(opt);
    if (!dist::Communicator::world().is_root()) return r.interrupted ? 130 : 0;  // rank 0 reports
    if (!r.profile.empty()) fmt::print("{}", r.profile);
    const std::string ranks =
        r.ranks == 1 ? ""
                     : fmt::format(", {} ranks (allreduce wait {:.1f}% of training time)", r.ranks,
                                   r.train_s > 0 ? 100 * r.allreduce_wait_s / r.train_s : 0.0);
    fmt::print("done: step {}, train loss {:.4f}, val loss {:.4f} (best {:.4f}), {:.0f} tokens/s{}, {:.1f} s; checkpoint {}\n",
               r.steps, r.last_train_loss, r.last_val_loss, r.best_val_loss, r.tokens_per_s, ranks, r.wall_s,
               r.last_checkpoint);
    return r.interrupted ? 130 : 0;
  };
}

}  // namespace qkv::cli
