#include "train/metrics.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace qkv {

namespace {

// The byte offset just past the last row whose step is <= keep_through_step (the header
// counts as kept); rows are in step order, so everything after it was written past the
// checkpoint being resumed. A last line without its newline is a torn write: cut too.
std::streamoff end_of_kept_rows(const std::string& path, int64_t keep_through_step) {
  std::ifstream in(path, std::ios::binary);
  std::streamoff end = 0;
  for (std::string line; std::getline(in, line) && !in.eof();) {
    int64_t step = 0;
    const auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), step);
    if (ec == std::errc() && ptr != line.data() && step > keep_through_step) break;
    end += static_cast<std::streamoff>(line.size()) + 1;
  }
  return end;
}

}  // namespace

MetricsCsv::MetricsCsv(const std::string& path, std::optional<int64_t> keep_through_step) : path_(path) {
  std::error_code ec;
  if (keep_through_step && std::filesystem::exists(path, ec)) {
    std::filesystem::resize_file(path, static_cast<uintmax_t>(end_of_kept_rows(path, *keep_through_step)), ec);
    QKV_CHECK(!ec, "metrics: cannot cut {} back to step {}: {}", path, *keep_through_step, ec.message());
  }
  const bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) fail("metrics: cannot write {}", path);
  if (fresh) fmt::print(file_, "{}\n", kMetricsHeader);
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
