// Plots through gnuplot, the one place that talks to it: whether it is installed, how a
// string is quoted for it, the pipe a script goes through, and the loss-curve picture
// that training runs and studies share. Without gnuplot every caller keeps its CSV.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace qkv {

// Whether gnuplot is on the PATH.
bool gnuplot_available();

// s inside gnuplot single quotes: a quote is written twice, nothing else is special
// (paths and titles come from users and may hold anything).
std::string gnuplot_quoted(const std::string& s);

// Tic labels for an axis, one per position 0, 1, ...: ('a' 0, 'b' 1, ...), each quoted.
std::string gnuplot_tic_labels(const std::vector<std::string>& labels);

// Pipes a whole script into gnuplot; true when gnuplot ran it without error.
bool run_gnuplot(const std::string& script);

// Draws the loss curves of one or more metrics.csv files into a PNG (train and
// validation loss against step), one pair of lines per label. Returns false, drawing
// nothing, when gnuplot is not installed; the CSV files are the fallback.
bool plot_loss_curves(const std::vector<std::pair<std::string, std::string>>& labelled_csvs,
                      const std::string& png_path, const std::string& title);

}  // namespace qkv
