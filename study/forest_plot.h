// The forest plot of a study (OUT/results.png): the answer to "what does removing this
// part cost?" at a glance. One row per variant but `full`, a dot at its mean paired
// difference from `full` and a bar for the 95% interval, a dashed line at 0; rows sorted
// best first. Panel one is the validation loss (lower is better); a translation study
// gets a second panel, BLEU (higher is better). A variant with one paired seed has a
// dot and no bar; one with none is left out.
#pragma once
#include <string>
#include <vector>

#include "study/ablate_report.h"

namespace qkv {

// The gnuplot script that draws `rows` into `png`; every name in it is gnuplot_quoted.
std::string forest_plot_script(const std::vector<VariantSummary>& rows, const std::string& png,
                               const std::string& title);

// Draws it; false, drawing nothing, without gnuplot or without a variant to compare.
bool write_forest_plot(const std::vector<VariantSummary>& rows, const std::string& png, const std::string& title);

}  // namespace qkv
