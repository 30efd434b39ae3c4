#include "io/plot.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace qkv {

bool gnuplot_available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string gnuplot_tic_labels(const std::vector<std::string>& labels) {
  std::string out = "(";
  for (size_t i = 0; i < labels.size(); ++i)
    out += (i ? ", " : "") + gnuplot_quoted(labels[i]) + " " + std::to_string(i);
  return out + ")";
}

bool run_gnuplot(const std::string& script) {
  FILE* gp = popen("gnuplot 2>/dev/null", "w");
  if (!gp) return false;
  std::fputs(script.c_str(), gp);
  return pclose(gp) == 0;
}

bool plot_loss_curves(const std::vector<std::pair<std::string, std::string>>& csvs, const std::string& png,
                      const std::string& title) {
  if (!gnuplot_available()) return false;
  std::ostringstream script;
  script << "set terminal pngcairo size 1000,600 noenhanced\n"
         << "set output " << gnuplot_quoted(png) << "\n"
         << "set datafile separator ','\n"
         << "set key outside right\nset grid\nset xlabel 'step'\nset ylabel 'loss'\n"
         << "set title " << gnuplot_quoted(title) << "\n"
         << "plot ";
  for (size_t i = 0; i < csvs.size(); ++i) {
    const auto& [label, csv] = csvs[i];
    if (i) script << ", ";
    // Column 3 (val_loss) is empty on steps without an evaluation.
    script << gnuplot_quoted(csv) << " using 1:2 every ::1 with lines title " << gnuplot_quoted(label + " train")
           << ", " << gnuplot_quoted(csv) << " using 1:($3) every ::1 with linespoints title "
           << gnuplot_quoted(label + " val");
  }
  script << "\n";
  return run_gnuplot(script.str());
}

}  // namespace qkv
