#include "study/forest_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "io/plot.h"

namespace qkv {

namespace {

struct Row {
  std::string name;
  double mid = 0, low = 0, high = 0;  // low, high: NaN without an interval (one seed)
  bool interval() const { return std::isfinite(low) && std::isfinite(high); }
};

struct Panel {
  std::string title, xlabel, number_format;
  std::vector<Row> rows;  // best first
};

// The variants compared with full on one measure; `delta` picks it from a summary.
template <class Delta>
Panel make_panel(const std::vector<VariantSummary>& summaries, bool lower_is_better, Delta delta) {
  Panel p;
  for (const VariantSummary& s : summaries) {
    Row r = delta(s);
    r.name = s.name;
    if (s.name != "full" && std::isfinite(r.mid)) p.rows.push_back(r);
  }
  std::stable_sort(p.rows.begin(), p.rows.end(),
                   [&](const Row& a, const Row& b) { return lower_is_better ? a.mid < b.mid : a.mid > b.mid; });
  return p;
}

std::vector<Panel> panels(const std::vector<VariantSummary>& summaries) {
  std::vector<Panel> out;
  Panel loss = make_panel(summaries, true, [](const VariantSummary& s) { return Row{"", s.diff, s.diff_low, s.diff_high}; });
  loss.title = "Δ validation loss vs full, mean over seeds [paired 95% interval]: left is better";
  loss.xlabel = "Δ validation loss (nats)";
  loss.number_format = "{:+.4f}";
  out.push_back(loss);
  Panel bleu = make_panel(summaries, false,
                          [](const VariantSummary& s) { return Row{"", s.bleu_diff, s.bleu_diff_low, s.bleu_diff_high}; });
  bleu.title = "Δ BLEU vs full, mean over seeds [paired 95% interval]: right is better";
  bleu.xlabel = "Δ BLEU";
  bleu.number_format = "{:+.2f}";
  if (!bleu.rows.empty()) out.push_back(bleu);
  return out;
}

void draw_panel(std::ostringstream& script, const Panel& p, size_t index) {
  std::vector<std::string> names, numbers;
  std::string with_bar, dot_only;
  bool any_dot_only = false;
  for (size_t i = 0; i < p.rows.size(); ++i) {
    const Row& r = p.rows[i];
    names.push_back(r.name);
    const std::string mid = fmt::format(fmt::runtime(p.number_format), r.mid);
    numbers.push_back(r.interval() ? fmt::format("{} [{}, {}]", mid, fmt::format(fmt::runtime(p.number_format), r.low),
                                                 fmt::format(fmt::runtime(p.number_format), r.high))
                                   : mid + " (1 seed)");
    (r.interval() ? with_bar : dot_only) += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", i, r.mid, r.low, r.high);
    any_dot_only |= !r.interval();
  }
  const double n = static_cast<double>(p.rows.size());
  script << "set title " << gnuplot_quoted(p.title + (any_dot_only ? " (a dot without a bar: one seed, no interval)" : ""))
         << "\nset xlabel " << gnuplot_quoted(p.xlabel) << "\n"
         << "set ytics " << gnuplot_tic_labels(names) << " nomirror scale 0\n"
         << "set y2tics " << gnuplot_tic_labels(numbers) << " scale 0\n"
         << fmt::format("set yrange [{}:-0.5]\nset y2range [{}:-0.5]\n", n - 0.5, n - 0.5)
         // 0 always in view, and some room beside the outermost bars.
         << "set xrange [*<0:0<*]\nset offsets graph 0.06, graph 0.06, 0, 0\n"
         << "set grid xtics\nset arrow 1 from first 0, graph 0 to first 0, graph 1 nohead dt 2 lw 1.5 lc rgb 'gray40'\n";
  std::vector<std::string> plots;
  if (!with_bar.empty()) {
    script << fmt::format("$BAR{} << EOD\n{}EOD\n", index, with_bar);
    plots.push_back(fmt::format("$BAR{} using 2:1:3:4 with xerrorbars pt 7 ps 1.5 lw 2 lc rgb '#08306b' notitle", index));
  }
  if (!dot_only.empty()) {
    script << fmt::format("$DOT{} << EOD\n{}EOD\n", index, dot_only);
    plots.push_back(fmt::format("$DOT{} using 2:1 with points pt 7 ps 1.5 lc rgb '#08306b' notitle", index));
  }
  script << "plot ";
  for (size_t i = 0; i < plots.size(); ++i) script << (i ? ", " : "") << plots[i];
  script << "\n";
}

}  // namespace

std::string forest_plot_script(const std::vector<VariantSummary>& rows, const std::string& png, const std::string& title) {
  const std::vector<Panel> ps = panels(rows);
  size_t most = 0;
  for (const Panel& p : ps) most = std::max(most, p.rows.size());
  const size_t width = 900 * ps.size(), height = std::max<size_t>(320, 150 + 40 * most);
  std::ostringstream script;
  script << fmt::format("set terminal pngcairo noenhanced size {},{} font 'DejaVu Sans,11'\n", width, height)
         << "set output " << gnuplot_quoted(png) << "\n"
         << fmt::format("set multiplot layout 1,{} title {}\n", ps.size(), gnuplot_quoted(title));
  for (size_t i = 0; i < ps.size(); ++i) draw_panel(script, ps[i], i);
  script << "unset multiplot\n";
  return script.str();
}

bool write_forest_plot(const std::vector<VariantSummary>& rows, const std::string& png, const std::string& title) {
  if (panels(rows).front().rows.empty() || !gnuplot_available()) return false;
  return run_gnuplot(forest_plot_script(rows, png, title));
}

}  // namespace qkv
