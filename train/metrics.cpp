#include "train/metrics.h"

#include <fmt/format.h>

#include <fstream>
#include <vector>

#include "base/error.h"

namespace qkv {

MetricsCsv::MetricsCsv(const std::string& path, std::optional<int64_t> keep_through_step) : path_(path) {
  std::vector<std::string> kept;
  if (keep_through_step) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line == kMetricsHeader) continue;
      if (std::stoll(line.substr(0, line.find(','))) <= *keep_through_step) kept.push_back(line);
    }
  }
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) fail("metrics: cannot write {}", path);
  fmt::print(file_, "{}\n", kMetricsHeader);
  for (const std::string& line : kept) fmt::print(file_, "{}\n", line);
  std::fflush(file_);
}

MetricsCsv::~MetricsCsv() {
  if (file_) std::fclose(file_);
}

void MetricsCsv::row(int64_t step, double train_loss, std::optional<double> val_loss, double lr, double tokens_per_s,
                     double elapsed_s) {
  fmt::print(file_, "{},{:.6f},{},{:.6g},{:.1f},{:.2f}\n", step, train_loss,
             val_loss ? fmt::format("{:.6f}", *val_loss) : "", lr, tokens_per_s, elapsed_s);
  std::fflush(file_);
}

}  // namespace qkv
