// Timing for the benchmarks: median seconds per call, with the candidates interleaved
// (a, b, a, b, ...) so that each sees the same machine state (clock, other load).
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace qkv::bench {

// Runs every fn `warmup` times, then round after round of one call each until the
// rounds have taken at least `min_seconds` in all for each fn and at least `min_rounds`
// rounds; returns the median seconds per call of each fn.
inline std::vector<double> interleaved_medians(const std::vector<std::function<void()>>& fns,
                                               double min_seconds = 0.5, int warmup = 3,
                                               int min_rounds = 10) {
  using clock = std::chrono::steady_clock;
  for (const auto& f : fns)
    for (int i = 0; i < warmup; ++i) f();
  std::vector<std::vector<double>> times(fns.size());
  std::vector<double> totals(fns.size(), 0.0);
  auto done = [&] {
    if (static_cast<int>(times[0].size()) < min_rounds) return false;
    return std::all_of(totals.begin(), totals.end(), [&](double t) { return t >= min_seconds; });
  };
  while (!done())
    for (size_t k = 0; k < fns.size(); ++k) {
      auto t0 = clock::now();
      fns[k]();
      double s = std::chrono::duration<double>(clock::now() - t0).count();
      times[k].push_back(s);
      totals[k] += s;
    }
  std::vector<double> medians;
  for (auto& t : times) {
    std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
    medians.push_back(t[t.size() / 2]);
  }
  return medians;
}

// The value of an environment variable, or "unset".
inline std::string env_or_unset(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "unset";
}

}  // namespace qkv::bench
