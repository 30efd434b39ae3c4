// The report of a study (docs/ablations.md explains how to read it):
//   OUT/results.csv, OUT/results.md   one row per variant: parameters, FLOPs per token,
//                                     final val loss mean +- std over seeds, the paired
//                                     difference from `full` with a 95% t interval,
//                                     perplexity, (translation: BLEU and chrF of
//                                     greedy translations of the validation split),
//                                     tokens/s, wall time
//   OUT/runs.csv                      one row per (variant, seed)
//   OUT/results.png                   the forest plot: each variant's paired delta vs full
//                                     with its 95% interval (translation: and delta BLEU)
//   OUT/loss_curves.png               every variant's loss curves, averaged over seeds
//                                     (OUT/<variant>/metrics-mean.csv: the data, and the
//                                     fallback without gnuplot)
//   OUT/<variant>/attn/layer0-head<h>.png   layer 0's attention of seed 0's model on the
//                                     first block_size tokens of the validation split
//                                     (translation: encoder-, decoder- and cross-layer0-head<h>.png
//                                     on the first validation pair's source)
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "study/ablate.h"

namespace qkv {

// One row of a run's metrics.csv (train/metrics.h).
struct MetricsRow {
  int64_t step = 0;
  double train_loss = 0;
  std::optional<double> val_loss;
  double lr = 0, tokens_per_s = 0, elapsed_s = 0;
};
std::vector<MetricsRow> read_metrics(const std::string& path);

// The two-sided 95% quantile of Student's t with df degrees of freedom (df >= 1).
double t_quantile_975(int64_t df);

struct VariantSummary {
  std::string name, overrides;
  int64_t mlp_hidden = 0, parameters = 0;
  double flops_per_token = 0;
  double param_gap = 0, flops_gap = 0;  // relative to the base config
  int64_t runs = 0;                      // finished seeds
  double loss_mean = 0, loss_std = 0;    // std: sample std over seeds (NaN for one run)
  // Paired over the seeds both this variant and `full` finished: mean of
  // loss(variant, seed) - loss(full, seed), and mean +- t(0.975, n-1) sd / sqrt(n).
  int64_t pairs = 0;
  double diff = 0, diff_low = 0, diff_high = 0;  // NaN where undefined
  double perplexity = 0;                          // exp(loss_mean)
  double bleu_mean = 0, bleu_std = 0, chrf_mean = 0;  // NaN for language models
  // BLEU(variant, seed) - BLEU(full, seed), paired as the loss is; NaN for language models.
  double bleu_diff = 0, bleu_diff_low = 0, bleu_diff_high = 0;
  double tokens_per_s = 0, wall_s = 0;            // means over seeds
};

std::vector<VariantSummary> summarize(const StudyPlan& plan, const StudyResult& result);
// The same statistics from the runs alone, one row per name in `variants` (no sizes: the
// plan's columns stay 0); what summarize() adds the plan to.
std::vector<VariantSummary> summarize_runs(const std::vector<std::string>& variants, const StudyResult& result);
// The markdown table of results.md (also what the command prints); BLEU and chrF
// columns when the rows have them.
std::string results_table(const std::vector<VariantSummary>& rows);

struct ReportFiles {
  std::string csv, md, runs_csv;
  std::string forest;  // results.png, or "" without gnuplot (then results.csv holds the numbers)
  std::string curves;  // the PNG, or "" without gnuplot (then see the metrics-mean.csv files)
  std::vector<std::string> attention;  // .png, or .csv without gnuplot
};

// Writes everything above. data_dir: where the corpus is cached ("" = the default).
ReportFiles write_report(const StudyPlan& plan, const StudyResult& result, const std::string& data_dir = "");

// The runs of a study as runs.csv lists them (how each was run is not recorded: "skipped").
StudyResult read_runs_csv(const std::string& path);

// Draws DIR/results.png again from DIR/runs.csv alone (no config, no checkpoints: for a
// study whose runs are gone). Returns its path, or "" without gnuplot.
std::string redraw_forest_plot(const std::string& dir);

}  // namespace qkv
