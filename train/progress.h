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
  // rewrite: rewrite the line in place when stdout is a terminal.
  explicit Progress(bool on, bool rewrite = true);
  // `extra` ends the line (the data-parallel part: ranks and allreduce wait).
  void step(int64_t step, int64_t total, double loss, double lr, double tok_s, double eta_s, bool log_line,
            const std::string& extra = "");
  void message(const std::string& text);

 private:
  bool on_, tty_;
};

}  // namespace qkv
