// What train() prints while it runs: the progress line (rewritten in place on a terminal,
// one plain line per log step otherwise) and whole-line messages.
#pragma once
#include <cstdint>
#include <string>

namespace qkv {

// "42s", "3m05s", "1h02m"; "?" for a negative or non-finite time.
std::string format_duration(double seconds);

class Progress {
 public:
  explicit Progress(bool on);
  void step(int64_t step, int64_t total, double loss, double lr, double tok_s, double eta_s, bool log_line);
  void message(const std::string& text);

 private:
  bool on_, tty_;
};

}  // namespace qkv
