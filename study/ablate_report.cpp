#include "study/ablate_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

#include "base/error.h"
#include "data/corpus.h"
#include "data/parallel_corpus.h"
#include "study/forest_plot.h"
#include "study/heatmap.h"
#include "io/csv.h"
#include "io/plot.h"
#include "train/metrics.h"
#include "config/model_io.h"
#include "io/checkpoint_files.h"
#include "io/output_folder.h"
#include "train/trainer.h"

namespace qkv {
namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string variant_dir(const StudyPlan& plan, const std::string& variant) {
  return (fs::path(plan.out) / variant).string();
}

std::string run_dir(const StudyPlan& plan, const RunOutcome& r) { return run_dir(plan, r.variant, r.seed_index); }

// 1234567 -> "1,234,567"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

struct MeanStd {
  double mean = kNaN, std = kNaN;
};

// Mean and sample standard deviation (n - 1); std is NaN for fewer than two values.
MeanStd mean_std(const std::vector<double>& x) {
  MeanStd m;
  if (x.empty()) return m;
  double sum = 0;
  for (double v : x) sum += v;
  m.mean = sum / static_cast<double>(x.size());
  if (x.size() < 2) return m;
  double ss = 0;
  for (double v : x) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(x.size() - 1));
  return m;
}

struct Paired {
  int64_t n = 0;
  double mean = kNaN, low = kNaN, high = kNaN;  // low, high: NaN for fewer than two pairs
};

// Paired differences d_k = x(variant, seed k) - x(full, seed k): their mean and
// mean +- t(0.975, n - 1) sd / sqrt(n).
Paired paired(const std::vector<double>& d) {
  const MeanStd m = mean_std(d);
  Paired p;
  p.n = static_cast<int64_t>(d.size());
  p.mean = m.mean;
  const double half = p.n >= 2 ? t_quantile_975(p.n - 1) * m.std / std::sqrt(static_cast<double>(p.n)) : kNaN;
  p.low = p.mean - half;
  p.high = p.mean + half;
  return p;
}

// Every variant's loss curves averaged over its finished seeds, step by step (a step
// counts only where every seed logged it), written as a metrics.csv of its own.
std::string write_mean_metrics(const StudyPlan& plan, const StudyResult& result, const std::string& variant) {
  struct Sum {
    int64_t n = 0, n_val = 0;
    double train = 0, val = 0, lr = 0, tok = 0, elapsed = 0;
  };
  std::map<int64_t, Sum> by_step;
  int64_t runs = 0;
  for (const RunOutcome& r : result.runs) {
    if (r.variant != variant) continue;
    ++runs;
    for (const MetricsRow& row : read_metrics((fs::path(run_dir(plan, r)) / "metrics.csv").string())) {
      Sum& s = by_step[row.step];
      ++s.n;
      s.train += row.train_loss;
      s.lr += row.lr;
      s.tok += row.tokens_per_s;
      s.elapsed += row.elapsed_s;
      if (row.val_loss) {
        ++s.n_val;
        s.val += *row.val_loss;
      }
    }
  }
  const std::string path = (fs::path(variant_dir(plan, variant)) / "metrics-mean.csv").string();
  std::ofstream out(path);
  QKV_CHECK(static_cast<bool>(out), "ablate: cannot write {}", path);
  out << kMetricsHeader << "\n";
  for (const auto& [step, s] : by_step) {
    if (s.n != runs) continue;
    const double n = static_cast<double>(runs);
    out << fmt::format("{},{:.6f},{},{:.6g},{:.1f},{:.2f}\n", step, s.train / n,
                       s.n_val == runs ? fmt::format("{:.6f}", s.val / n) : "", s.lr / n, s.tok / n, s.elapsed / n);
  }
  return path;
}

// Layer 0's attention of the variant's model of its lowest finished seed (seed 0 unless
// that one did not finish): a GPT's on the first block_size tokens of `sample` (the
// validation split), a seq2seq model's (encoder, decoder and cross-attention) on the source
// sentence `sample` and its own translation. `shown` gets what the maps show.
std::vector<std::string> write_variant_attention(const StudyPlan& plan, const StudyResult& result,
                                                 const PlannedVariant& p, const std::string& sample,
                                                 std::string* shown) {
  const RunOutcome* first = nullptr;
  for (const RunOutcome& r : result.runs)
    if (r.variant == p.variant.name && (!first || r.seed_index < first->seed_index)) first = &r;
  if (!first) return {};
  LoadedModel m = load_model(checkpoint_path(run_dir(plan, *first), p.config.train.max_iters));
  const std::string dir = (fs::path(variant_dir(plan, p.variant.name)) / "attn").string();
  if (m.seq2seq) {
    std::string translation;
    std::vector<std::string> maps = write_translation_attention_maps(*m.seq2seq, *m.tokenizer, sample, "", dir, 0, &translation);
    *shown += fmt::format("{}: {}\n", p.variant.name, translation);
    return maps;
  }
  std::vector<int32_t> ids = m.tokenizer->encode(sample);
  ids.resize(std::min<size_t>(ids.size(), static_cast<size_t>(p.config.model.block_size)));
  *shown = m.tokenizer->decode(ids);
  return write_attention_maps(*m.model, *m.tokenizer, ids, dir, 0);
}

}  // namespace

std::vector<MetricsRow> read_metrics(const std::string& path) {
  std::ifstream in(path);
  QKV_CHECK(static_cast<bool>(in), "ablate: cannot read {}", path);
  std::vector<MetricsRow> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line == kMetricsHeader) continue;
    std::vector<std::string> f = csv_split(line);
    if (f.size() < 6) f.resize(6);
    try {
      MetricsRow r;
      r.step = std::stoll(f[0]);
      r.train_loss = std::stod(f[1]);
      if (!f[2].empty()) r.val_loss = std::stod(f[2]);
      r.lr = std::stod(f[3]);
      r.tokens_per_s = std::stod(f[4]);
      r.elapsed_s = std::stod(f[5]);
      rows.push_back(r);
    } catch (const std::exception&) {
      fail("ablate: {}: cannot read the metrics line '{}'", path, line);
    }
  }
  return rows;
}

double t_quantile_975(int64_t df) {
  QKV_CHECK(df >= 1, "t_quantile_975: needs at least one degree of freedom, got {}", df);
  static const double table[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                 2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                 2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= 30) return table[df - 1];
  // Cornish-Fisher expansion around the normal quantile: below 1e-4 off for df > 30.
  const double z = 1.959963984540054, n = static_cast<double>(df);
  return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

std::vector<VariantSummary> summarize_runs(const std::vector<std::string>& variants, const StudyResult& result) {
  std::map<int64_t, const RunOutcome*> full;  // seed index -> the run of `full`
  for (const RunOutcome& r : result.runs)
    if (r.variant == "full") full[r.seed_index] = &r;

  std::vector<VariantSummary> rows;
  for (const std::string& name : variants) {
    VariantSummary s;
    s.name = name;
    std::vector<double> loss, diffs, bleu_diffs, tok, wall, bleu, chrf;
    for (const RunOutcome& r : result.runs) {
      if (r.variant != s.name) continue;
      loss.push_back(r.val_loss);
      bleu.push_back(r.bleu);
      chrf.push_back(r.chrf);
      tok.push_back(r.tokens_per_s);
      wall.push_back(r.wall_s);
      if (auto f = full.find(r.seed_index); f != full.end()) {
        diffs.push_back(r.val_loss - f->second->val_loss);
        if (std::isfinite(r.bleu) && std::isfinite(f->second->bleu)) bleu_diffs.push_back(r.bleu - f->second->bleu);
      }
    }
    s.runs = static_cast<int64_t>(loss.size());
    const MeanStd l = mean_std(loss);
    s.loss_mean = l.mean;
    s.loss_std = l.std;
    s.perplexity = std::exp(l.mean);
    const MeanStd b = mean_std(bleu);
    s.bleu_mean = b.mean;
    s.bleu_std = b.std;
    s.chrf_mean = mean_std(chrf).mean;
    s.tokens_per_s = mean_std(tok).mean;
    s.wall_s = mean_std(wall).mean;
    const Paired d = paired(diffs), db = paired(bleu_diffs);
    s.pairs = d.n;
    std::tie(s.diff, s.diff_low, s.diff_high) = std::tuple{d.mean, d.low, d.high};
    std::tie(s.bleu_diff, s.bleu_diff_low, s.bleu_diff_high) = std::tuple{db.mean, db.low, db.high};
    rows.push_back(s);
  }
  return rows;
}

std::vector<VariantSummary> summarize(const StudyPlan& plan, const StudyResult& result) {
  std::vector<std::string> names;
  for (const PlannedVariant& p : plan.variants) names.push_back(p.variant.name);
  std::vector<VariantSummary> rows = summarize_runs(names, result);
  for (size_t i = 0; i < rows.size(); ++i) {
    const PlannedVariant& p = plan.variants[i];
    VariantSummary& s = rows[i];
    s.overrides = p.variant.text();
    s.mlp_hidden = p.config.model.hidden();
    s.parameters = p.parameters;
    s.flops_per_token = p.flops_per_token;
    s.param_gap = static_cast<double>(p.parameters - plan.base_parameters) / static_cast<double>(plan.base_parameters);
    s.flops_gap = (p.flops_per_token - plan.base_flops_per_token) / plan.base_flops_per_token;
  }
  return rows;
}

std::string results_table(const std::vector<VariantSummary>& rows) {
  auto num = [](double v, const char* f) { return std::isfinite(v) ? fmt::format(fmt::runtime(f), v) : "n/a"; };
  const bool translation =
      std::any_of(rows.begin(), rows.end(), [](const VariantSummary& s) { return std::isfinite(s.bleu_mean); });
  std::string out = fmt::format(
      "| variant | overrides | mlp_hidden | parameters | MFLOPs/token | seeds | val loss (mean ± std) | "
      "Δ vs full [95% CI] | perplexity |{} tokens/s | wall s/run |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|{}---:|---:|\n",
      translation ? " BLEU (mean ± std) | chrF |" : "", translation ? "---:|---:|" : "");
  for (const VariantSummary& s : rows) {
    std::string diff;
    if (s.name == "full") diff = "(reference)";
    else if (s.pairs == 0) diff = "n/a";
    else if (s.pairs == 1) diff = fmt::format("{:+.4f} (1 seed, no interval)", s.diff);
    else diff = fmt::format("{:+.4f} [{:+.4f}, {:+.4f}]", s.diff, s.diff_low, s.diff_high);
    const std::string scores = translation ? fmt::format(" {} ± {} | {} |", num(s.bleu_mean, "{:.2f}"),
                                                         num(s.bleu_std, "{:.2f}"), num(s.chrf_mean, "{:.2f}"))
                                           : "";
    out += fmt::format("| {} | {} | {} | {} ({:+.2f}%) | {:.3f} ({:+.2f}%) | {} | {} ± {} | {} | {} |{} {} | {} |\n",
                       s.name, s.overrides.empty() ? "-" : "`" + s.overrides + "`", s.mlp_hidden, grouped(s.parameters),
                       100 * s.param_gap, s.flops_per_token / 1e6, 100 * s.flops_gap, s.runs, num(s.loss_mean, "{:.4f}"),
                       num(s.loss_std, "{:.4f}"), diff, num(s.perplexity, "{:.3f}"), scores,
                       num(s.tokens_per_s, "{:.0f}"), num(s.wall_s, "{:.1f}"));
  }
  return out;
}

namespace {

void write_results_csv(const std::string& path, const std::vector<VariantSummary>& rows) {
  std::ofstream out(path);
  QKV_CHECK(static_cast<bool>(out), "ablate: cannot write {}", path);
  out << "variant,overrides,mlp_hidden,parameters,param_gap,flops_per_token,flops_gap,seeds,val_loss_mean,"
         "val_loss_std,diff_vs_full,diff_ci_low,diff_ci_high,perplexity,bleu_mean,bleu_std,chrf_mean,tokens_per_s,"
         "wall_s,bleu_diff_vs_full,bleu_diff_ci_low,bleu_diff_ci_high\n";
  for (const VariantSummary& s : rows)
    out << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(s.name),
                       csv_field(s.overrides), s.mlp_hidden, s.parameters, csv_number(s.param_gap),
                       csv_number(s.flops_per_token), csv_number(s.flops_gap), s.runs, csv_number(s.loss_mean),
                       csv_number(s.loss_std), csv_number(s.diff), csv_number(s.diff_low), csv_number(s.diff_high),
                       csv_number(s.perplexity), csv_number(s.bleu_mean), csv_number(s.bleu_std),
                       csv_number(s.chrf_mean), csv_number(s.tokens_per_s), csv_number(s.wall_s),
                       csv_number(s.bleu_diff), csv_number(s.bleu_diff_low), csv_number(s.bleu_diff_high));
}

void write_runs_csv(const std::string& path, const StudyResult& result) {
  std::ofstream out(path);
  QKV_CHECK(static_cast<bool>(out), "ablate: cannot write {}", path);
  out << "variant,seed_index,seed,val_loss,bleu,chrf,tokens_per_s,wall_s\n";
  for (const RunOutcome& r : result.runs)
    out << fmt::format("{},{},{},{},{},{},{},{}\n", csv_field(r.variant), r.seed_index, r.seed, csv_number(r.val_loss),
                       csv_number(r.bleu), csv_number(r.chrf), csv_number(r.tokens_per_s), csv_number(r.wall_s));
}

std::string study_header(const StudyPlan& plan, const StudyResult& result) {
  const RunConfig& c = plan.variants.front().config;
  const nn::ModelConfig& m = c.model;
  std::string text = fmt::format(
      "Base config: corpus `{}` ({} tokenizer, vocab {}), n_layer {}, n_head {}, n_embd {}, block_size {}; "
      "max_iters {}, batch_size {}, lr {}, seed {} + k.\n\n",
      c.data.corpus, name_of(c.data.tokenizer), m.vocab_size, m.n_layer, m.n_head, m.n_embd, m.block_size, c.train.max_iters,
      c.train.batch_size, c.optim.lr, plan.base_seed);
  text += fmt::format("Base model: {} parameters, {:.3f} MFLOPs per token. Size matching: `--match {}`{}.\n\n",
                      grouped(plan.base_parameters), plan.base_flops_per_token / 1e6, name(plan.match),
                      plan.match == Match::none ? " (every variant as it is)" : " (model.mlp_hidden chosen per variant)");
  const int64_t total = static_cast<int64_t>(plan.variants.size()) * plan.seeds;
  text += fmt::format("Runs finished: {} of {} ({} seeds per variant).{}\n\n", result.runs.size(), total, plan.seeds,
                      result.interrupted ? " The study was interrupted: run the same command again to finish it." : "");
  return text;
}

constexpr const char* kReading =
    "- **val loss**: the validation loss at the last step, over `train.eval_iters` batches of the validation "
    "split; one seed's batches are the same for every variant. **perplexity** = exp(mean val loss).\n"
    "- **Δ vs full**: the mean over seeds of loss(variant, seed) − loss(full, seed). The same seed gives both runs "
    "the same training batches and the same evaluation batches, so the differences are paired; the interval is "
    "mean ± t(0.975, n−1) · sd / √n over the n paired seeds. Positive: worse than full. An interval that excludes "
    "0 is a difference the seeds agree on.\n"
    "- **BLEU**, **chrF** (translation studies): the final model's greedy translations of the whole validation "
    "split against its references, scored as sacreBLEU does by default (13a tokenization; chrF2); mean ± std over "
    "seeds. The val loss of a translation study is the cross-entropy per target token without label smoothing.\n"
    "- **parameters**, **MFLOPs/token** (training, forward + backward): from the config (nn/count.h), with the "
    "gap to the base model in parentheses.\n"
    "- **tokens/s**: training tokens over training time (evaluation excluded), mean over seeds; **wall s/run**: "
    "the whole run, evaluation and checkpoints included.\n";

constexpr const char* kForestPlot = "results.png";

std::string forest_title(const std::string& out) { return "qkv ablate: " + out + ", each variant against full"; }

// results.md's first picture, or why there is none.
std::string forest_markdown(const std::string& png, const std::vector<VariantSummary>& rows) {
  if (!png.empty())
    return fmt::format(
        "![the difference of every variant from full, with its paired 95% interval]({})\n\n"
        "Each variant against `full`: the dot is the mean over seeds of the paired difference, the bar its 95% "
        "interval (the Δ column below); a bar clear of the dashed line at 0 is a difference the seeds agree on. "
        "Best first.\n\n",
        kForestPlot);
  const bool compared = std::any_of(rows.begin(), rows.end(), [](const VariantSummary& s) {
    return s.name != "full" && std::isfinite(s.diff);
  });
  return compared ? "gnuplot was not found: no picture of the differences from full; they are in results.csv.\n\n" : "";
}

}  // namespace

ReportFiles write_report(const StudyPlan& plan, const StudyResult& result, const std::string& data_dir) {
  QKV_CHECK(!plan.variants.empty(), "ablate: an empty plan has no report");
  create_output_folder(plan.out, "ablate");
  ReportFiles files;
  files.csv = (fs::path(plan.out) / "results.csv").string();
  files.md = (fs::path(plan.out) / "results.md").string();
  files.runs_csv = (fs::path(plan.out) / "runs.csv").string();
  const std::vector<VariantSummary> rows = summarize(plan, result);
  write_results_csv(files.csv, rows);
  write_runs_csv(files.runs_csv, result);
  const std::string forest = (fs::path(plan.out) / kForestPlot).string();
  if (write_forest_plot(rows, forest, forest_title(plan.out))) files.forest = forest;

  std::vector<std::pair<std::string, std::string>> curves;
  for (const PlannedVariant& p : plan.variants)
    if (std::any_of(result.runs.begin(), result.runs.end(), [&](const RunOutcome& r) { return r.variant == p.variant.name; }))
      curves.emplace_back(p.variant.name, write_mean_metrics(plan, result, p.variant.name));
  const std::string png = (fs::path(plan.out) / "loss_curves.png").string();
  if (!curves.empty() && plot_loss_curves(curves, png, "validation and training loss, mean over seeds")) files.curves = png;

  const RunConfig& base = plan.variants.front().config;
  const std::string dir = data_dir.empty() ? data::default_data_dir() : data_dir;
  const std::string sample = plan.translation ? data::load_parallel_corpus(base.data.corpus, dir).val.at(0).src
                                              : data::load_corpus(base.data.corpus, dir).val;
  std::string sequence = plan.translation ? "source: " + sample + "\n" : "", md_maps;
  for (const PlannedVariant& p : plan.variants) {
    std::vector<std::string> maps = write_variant_attention(plan, result, p, sample, &sequence);
    if (maps.empty()) continue;
    md_maps += fmt::format("\n### {}\n\n", p.variant.name);
    for (const std::string& path : maps) {
      const std::string rel = fs::relative(path, plan.out).string();
      md_maps += fs::path(path).extension() == ".png" ? fmt::format("![{}]({}) ", rel, rel) : fmt::format("[{}]({}) ", rel, rel);
      files.attention.push_back(path);
    }
    md_maps += "\n";
  }

  std::ofstream md(files.md);
  QKV_CHECK(static_cast<bool>(md), "ablate: cannot write {}", files.md);
  md << "# qkv ablate: " << plan.out << "\n\n" << study_header(plan, result) << forest_markdown(files.forest, rows)
     << results_table(rows) << "\n" << kReading << "\n## Loss curves\n\n";
  if (!files.curves.empty()) md << "![loss curves](loss_curves.png)\n\nMean over seeds, step by step; the data is in <variant>/metrics-mean.csv.\n";
  else if (curves.empty()) md << "No finished runs yet.\n";
  else md << "gnuplot was not found: no picture. The curves (mean over seeds) are in <variant>/metrics-mean.csv.\n";
  md << "\n## Attention of layer 0\n\n"
     << (plan.translation ? "Each variant's seed-0 model on the first validation pair's source and its own translation "
                            "(below): the encoder's self-attention, the decoder's self-attention and its cross-attention, one "
                            "map per head "
                            "(rows: queries, columns: keys; white is 0, dark blue is 1):\n\n```text\n"
                          : "Each variant's seed-0 model on the first block_size tokens of the validation split, one "
                            "map per head (rows: queries, columns: keys; white is 0, dark blue is 1):\n\n```text\n")
     << sequence << "\n```\n" << md_maps;
  if (!files.attention.empty() && fs::path(files.attention.front()).extension() == ".csv")
    md << "\ngnuplot was not found: the maps are written as CSV matrices.\n";
  return files;
}

StudyResult read_runs_csv(const std::string& path) {
  std::ifstream in(path);
  QKV_CHECK(static_cast<bool>(in), "ablate: cannot read {}", path);
  // By the header's names: runs.csv of older versions has no bleu and chrf columns.
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = csv_split(line);
  auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const size_t variant = column("variant"), seed_index = column("seed_index"), seed = column("seed"),
               loss = column("val_loss"), bleu = column("bleu"), chrf = column("chrf"), tok = column("tokens_per_s"),
               wall = column("wall_s");
  QKV_CHECK(std::max({variant, seed_index, seed, loss}) < header.size(),
            "ablate: {} is not a runs.csv: its header '{}' lacks variant, seed_index, seed or val_loss", path, line);
  StudyResult result;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> f = csv_split(line);
    auto number = [&](size_t i) { return i < f.size() && !f[i].empty() ? std::stod(f[i]) : kNaN; };
    try {
      if (f.size() != header.size()) throw std::invalid_argument("not one field a column");
      RunOutcome r{f[variant], std::stoll(f[seed_index]), std::stoll(f[seed]), number(loss), number(tok), number(wall)};
      r.how = RunOutcome::How::skipped;
      r.bleu = number(bleu);
      r.chrf = number(chrf);
      result.runs.push_back(r);
    } catch (const std::exception&) {
      fail("ablate: {}: cannot read the run line '{}'", path, line);
    }
  }
  return result;
}

std::string redraw_forest_plot(const std::string& dir) {
  const StudyResult result = read_runs_csv((fs::path(dir) / "runs.csv").string());
  std::vector<std::string> variants;  // in the order of the plan, as the runs were listed
  for (const RunOutcome& r : result.runs)
    if (std::find(variants.begin(), variants.end(), r.variant) == variants.end()) variants.push_back(r.variant);
  QKV_CHECK(std::find(variants.begin(), variants.end(), "full") != variants.end(),
            "ablate: {} has no run of full, the variant the others are compared with", dir);
  const std::string png = (fs::path(dir) / kForestPlot).string();
  return write_forest_plot(summarize_runs(variants, result), png, forest_title(dir)) ? png : "";
}

}  // namespace qkv
