// Running a study's plan: every (variant, seed) is an ordinary train() in its own folder.
// A run is finished when its checkpoint at max_iters exists (then it is skipped), and
// interrupted when an earlier checkpoint exists (then it resumes). Each run folder also
// holds config.toml (the run's config, written before training: a later invocation of
// the study with a different config is refused instead of mixing runs) and
// ablate-run.toml (final validation loss, tokens/s and wall time, summed over the
// invocations that trained the run; for translation also BLEU and chrF of the final
// model on the validation split).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <toml++/toml.h>

#include "base/error.h"
#include "dist/agree.h"
#include "study/ablate.h"
#include "data/parallel_corpus.h"
#include "study/ablate_report.h"
#include "config/model_io.h"
#include "io/checkpoint_files.h"
#include "io/output_folder.h"
#include "train/trainer.h"
#include "eval/translation_eval.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRunConfig = "config.toml";
constexpr const char* kRunSummary = "ablate-run.toml";

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Summary {
  double val_loss = kNaN;
  double bleu = kNaN, chrf = kNaN;
  double tokens_per_s = 0;
  double wall_s = 0;
  bool finished = false;
};

std::optional<Summary> read_summary(const fs::path& dir) {
  const fs::path path = dir / kRunSummary;
  if (!fs::exists(path)) return std::nullopt;
  try {
    toml::table t = toml::parse_file(path.string());
    Summary s;
    s.val_loss = t["final_val_loss"].value_or(s.val_loss);
    s.bleu = t["bleu"].value_or(kNaN);
    s.chrf = t["chrf"].value_or(kNaN);
    s.tokens_per_s = t["tokens_per_s"].value_or(0.0);
    s.wall_s = t["wall_s"].value_or(0.0);
    s.finished = t["finished"].value_or(false);
    return s;
  } catch (const toml::parse_error&) {
    return std::nullopt;  // a summary cut short by a crash: rebuilt from metrics.csv
  }
}

void write_summary(const fs::path& dir, const Summary& s) {
  const fs::path tmp = dir / (std::string(kRunSummary) + ".tmp");
  {
    std::ofstream out(tmp);
    QKV_CHECK(static_cast<bool>(out), "ablate: cannot write {}", tmp.string());
    out << fmt::format("finished = {}\nfinal_val_loss = {:.17g}\ntokens_per_s = {:.17g}\nwall_s = {:.17g}\n",
                       s.finished, s.val_loss, s.tokens_per_s, s.wall_s);
    if (std::isfinite(s.bleu)) out << fmt::format("bleu = {:.17g}\nchrf = {:.17g}\n", s.bleu, s.chrf);
  }
  fs::rename(tmp, dir / kRunSummary);
}

// For a finished run without its summary (stopped between the last checkpoint and the
// summary): the last validation loss, mean tokens/s and last elapsed time of metrics.csv.
Summary summary_from_metrics(const fs::path& dir) {
  const std::vector<MetricsRow> rows = read_metrics((dir / "metrics.csv").string());
  Summary s;
  s.finished = true;
  double tok = 0;
  for (const MetricsRow& r : rows) {
    if (r.val_loss) s.val_loss = *r.val_loss;
    tok += r.tokens_per_s;
    s.wall_s = r.elapsed_s;
  }
  s.tokens_per_s = rows.empty() ? 0 : tok / static_cast<double>(rows.size());
  return s;
}

// A run folder made by another config (a different study in the same --out) is refused
// before anything trains. The output folder itself may have moved, so train.out is
// not compared.
void check_same_config(const fs::path& dir, const RunConfig& cfg) {
  const fs::path path = dir / kRunConfig;
  if (!fs::exists(path)) return;
  RunConfig stored = load_config(path.string());
  stored.train.out = cfg.train.out;
  QKV_CHECK(to_toml(stored) == to_toml(cfg),
        "ablate: {} holds a run of another config (see {}): use another --out, or delete the folder to start over",
        dir.string(), path.string());
}

void write_run_config(const fs::path& dir, const RunConfig& cfg) {
  create_output_folder(dir.string(), "ablate");
  if (fs::exists(dir / kRunConfig)) return;
  std::ofstream out(dir / kRunConfig);
  QKV_CHECK(static_cast<bool>(out), "ablate: cannot write {}", (dir / kRunConfig).string());
  out << "# written by qkv ablate: the config of this run\n" << to_toml(cfg);
}

// A finished translation run's BLEU and chrF: its final model's greedy translations of
// the whole validation split.
void score_translation(const RunConfig& cfg, const std::string& data_dir, Summary& s) {
  LoadedModel m = load_model(checkpoint_path(cfg.train.out, cfg.train.max_iters));
  data::ParallelCorpus corpus =
      data::load_parallel_corpus(cfg.data.corpus, data_dir.empty() ? data::default_data_dir() : data_dir);
  TranslationEval e = evaluate_translation(*m.seq2seq, *m.tokenizer, corpus.val);
  s.bleu = e.bleu.score;
  s.chrf = e.chrf.score;
}

const char* how_name(RunOutcome::How h) {
  switch (h) {
    case RunOutcome::How::trained: return "trained";
    case RunOutcome::How::resumed: return "resumed";
    case RunOutcome::How::skipped: return "done before, skipped";
  }
  return "?";
}

}  // namespace

namespace {

struct PlannedRun {
  size_t variant = 0;
  int64_t seed_index = 0, number = 0;  // number: 1-based, in plan order
  RunConfig config;
  bool finished_before = false;  // its checkpoint at max_iters existed when the study started
};

// "ablate [3/8] no_q seed 1: trained, val loss 2.1234, 5000 tokens/s, 12.3 s", after a run
// trains or when the study finds it finished.
void print_run_line(const std::string& rank, const PlannedRun& p, int64_t total, const StudyPlan& plan,
                    RunOutcome::How how, const Summary& s) {
  fmt::print("{}ablate [{}/{}] {} seed {}: {}, val loss {:.4f}{}, {:.0f} tokens/s, {:.1f} s\n", rank, p.number, total,
             plan.variants[p.variant].variant.name, p.seed_index, how_name(how), s.val_loss,
             plan.translation ? fmt::format(", BLEU {:.2f}, chrF {:.2f}", s.bleu, s.chrf) : "", s.tokens_per_s,
             s.wall_s);
}

// Trains (or resumes) one run on this process alone; returns false when Ctrl-C stopped it.
bool train_run(const StudyPlan& plan, const PlannedRun& p, int64_t total, const RunStudyOptions& options,
               const dist::Communicator& comm, RunOutcome::How& how) {
  const RunConfig& cfg = p.config;
  const fs::path dir = cfg.train.out;
  const bool resume = !newest_checkpoint(dir.string()).empty();
  how = resume ? RunOutcome::How::resumed : RunOutcome::How::trained;
  write_run_config(dir, cfg);
  const double earlier_wall = resume ? read_summary(dir).value_or(Summary{}).wall_s : 0.0;
  const std::string rank = comm.size() > 1 ? fmt::format("[rank {}] ", comm.rank()) : "";
  if (options.progress)
    fmt::print("{}ablate [{}/{}] {} seed {} (train.seed {}): {}\n", rank, p.number, total,
               plan.variants[p.variant].variant.name, p.seed_index, cfg.train.seed, resume ? "resuming" : "training");
  // A run folder without a checkpoint holds at most a run killed before its first one: the
  // study owns the folder, so that run starts over. With several ranks, the trainer's
  // progress lines of different runs would interleave: only the per-run lines are shown.
  TrainResult r = train(TrainOptions{.config = cfg,
                                     .resume = resume,
                                     .data_dir = options.data_dir,
                                     .progress = options.progress && comm.size() == 1,
                                     .overwrite = !resume,
                                     .comm = &dist::Communicator::self()});
  Summary s;
  s.val_loss = r.last_val_loss;
  s.tokens_per_s = r.tokens_per_s;
  s.wall_s = earlier_wall + r.wall_s;
  s.finished = !r.interrupted;
  if (plan.translation && s.finished) score_translation(cfg, options.data_dir, s);
  write_summary(dir, s);
  if (options.progress && s.finished) print_run_line(rank, p, total, plan, how, s);
  return s.finished;
}

}  // namespace

StudyResult run_study(const StudyPlan& plan, const RunStudyOptions& options) {
  dist::Communicator& comm = options.comm ? *options.comm : dist::Communicator::world();
  // Seed by seed: after seed 0, every variant has one finished run to compare.
  std::vector<PlannedRun> runs;
  for (int64_t k = 0; k < plan.seeds; ++k)
    for (size_t v = 0; v < plan.variants.size(); ++v)
      runs.push_back({v, k, static_cast<int64_t>(runs.size()) + 1, run_config(plan, v, k)});
  const auto total = static_cast<int64_t>(runs.size());
  // Every rank reads the same folders before any rank writes to them (the agreement is
  // also the barrier).
  dist::agree(comm, [&] {
    for (PlannedRun& p : runs) {
      check_same_config(p.config.train.out, p.config);
      p.finished_before = fs::exists(checkpoint_path(p.config.train.out, p.config.train.max_iters));
    }
  });

  // The unfinished runs, dealt out in plan order: rank r trains the j-th with j % N == r.
  // Which runs are unfinished is read from the folders, so a study resumed on another
  // number of ranks deals out what is left.
  std::vector<int64_t> how(runs.size(), -1);  // RunOutcome::How of the runs trained now
  int64_t interrupted = 0, dealt = 0;
  for (size_t i = 0; i < runs.size() && !interrupted; ++i) {
    if (runs[i].finished_before || dealt++ % comm.size() != comm.rank()) continue;
    RunOutcome::How h{};
    if (!train_run(plan, runs[i], total, options, comm, h)) interrupted = 1;
    else how[i] = static_cast<int64_t>(h);
  }
  comm.max(how.data(), how.size());
  comm.max(&interrupted, 1);

  StudyResult result;
  result.interrupted = interrupted != 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const PlannedRun& p = runs[i];
    const fs::path dir = p.config.train.out;
    if (how[i] < 0 && !p.finished_before) continue;  // not reached: the study was interrupted
    RunOutcome run{plan.variants[p.variant].variant.name, p.seed_index, p.config.train.seed};
    Summary s;
    if (how[i] >= 0) {
      run.how = static_cast<RunOutcome::How>(how[i]);
      const std::optional<Summary> stored = read_summary(dir);
      s = stored ? *stored : summary_from_metrics(dir);
      ++(run.how == RunOutcome::How::resumed ? result.resumed : result.trained);
    } else {
      run.how = RunOutcome::How::skipped;
      std::optional<Summary> stored = read_summary(dir);
      s = stored && stored->finished ? *stored : summary_from_metrics(dir);
      if (plan.translation && !std::isfinite(s.bleu) && comm.is_root()) {  // one rank scores and writes
        score_translation(p.config, options.data_dir, s);
        write_summary(dir, s);
      }
      ++result.skipped;
    }
    run.val_loss = s.val_loss;
    run.bleu = s.bleu;
    run.chrf = s.chrf;
    run.tokens_per_s = s.tokens_per_s;
    run.wall_s = s.wall_s;
    // Trained runs were reported by the rank that trained them.
    if (options.progress && comm.is_root() && run.how == RunOutcome::How::skipped)
      print_run_line("", p, total, plan, run.how, s);
    result.runs.push_back(run);
  }
  return result;
}

}  // namespace qkv
