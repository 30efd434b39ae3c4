#include "train/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace qkv {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

Progress::Progress(bool on, bool rewrite) : on_(on), tty_(rewrite && isatty(STDOUT_FILENO)) {}

void Progress::step(int64_t step, int64_t total, double loss, double lr, double tok_s, double eta_s, bool log_line,
                    const std::string& extra) {
  if (!on_) return;
  std::string line = fmt::format("step {}/{} | loss {:.4f} | lr {:.2e} | {:.0f} tok/s | ETA {}", step, total, loss,
                                 lr, tok_s, format_duration(eta_s)) + extra;
  if (tty_) {
    fmt::print("\r{:<90}", line);
    std::fflush(stdout);
  } else if (log_line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
}

void Progress::message(const std::string& text) {
  if (!on_) return;
  fmt::print("{}{}\n", tty_ ? "\r\33[2K" : "", text);
  std::fflush(stdout);
}

}  // namespace qkv
