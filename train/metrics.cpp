#include "train/metrics.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "autograd/error.h"

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

bool plot_loss_curves(const std::vector<std::pair<std::string, std::string>>& csvs, const std::string& png,
                      const std::string& title) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return false;
  std::ostringstream script;
  script << "set terminal pngcairo size 1000,600 noenhanced\n"
         << "set output '" << png << "'\n"
         << "set datafile separator ','\n"
         << "set key outside right\nset grid\nset xlabel 'step'\nset ylabel 'loss'\n"
         << "set title '" << title << "'\n"
         << "plot ";
  for (size_t i = 0; i < csvs.size(); ++i) {
    const auto& [label, csv] = csvs[i];
    if (i) script << ", ";
    // Column 3 (val_loss) is empty on steps without an evaluation.
    script << "'" << csv << "' using 1:2 every ::1 with lines title '" << label << " train', "
           << "'" << csv << "' using 1:($3) every ::1 with linespoints title '" << label << " val'";
  }
  script << "\n";
  FILE* gp = popen("gnuplot 2>/dev/null", "w");
  if (!gp) return false;
  std::fputs(script.str().c_str(), gp);
  return pclose(gp) == 0;
}

}  // namespace qkv
