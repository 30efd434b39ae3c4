// metrics.csv: one row per logged step, columns
// step, train_loss, val_loss (empty where not evaluated), lr, tokens_per_s, elapsed_s.
#pragma once
#include <cstdio>
#include <optional>
#include <string>

namespace qkv {

class MetricsCsv {
 public:
  // Opens path for appending (the header first when the file is new or empty); never
  // recreates it. On resume, rows after `keep_through_step` (written after the checkpoint
  // that is resumed from) are cut off first, so no step appears twice.
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

}  // namespace qkv
