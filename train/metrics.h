// metrics.csv: one row per logged step, columns
// step, train_loss, val_loss (empty where not evaluated), lr, tokens_per_s, elapsed_s.
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qkv {

class MetricsCsv {
 public:
  // Opens path for appending. On resume, rows after `keep_through_step` (written after
  // the checkpoint that is resumed from) are dropped first, so no step appears twice.
  MetricsCsv(const std::string& path, std::optional<int64_t> keep_through_step);
  ~MetricsCsv();
  MetricsCsv(const MetricsCsv&) = delete;
  MetricsCsv& operator=(const MetricsCsv&) = delete;

  void row(int64_t step, double train_loss, std::optional<double> val_loss, double lr, double tokens_per_s,
           double elapsed_s);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

inline constexpr const char* kMetricsHeader = "step,train_loss,val_loss,lr,tokens_per_s,elapsed_s";

// Draws the loss curves of one or more metrics.csv files into a PNG with gnuplot
// (train and validation loss against step). Returns false, drawing nothing, when gnuplot
// is not installed; the CSV files are the fallback.
bool plot_loss_curves(const std::vector<std::pair<std::string, std::string>>& labelled_csvs,
                      const std::string& png_path, const std::string& title);

}  // namespace qkv
