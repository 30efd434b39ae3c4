#include "base/profile.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>
#include <algorithm>

#include <fmt/format.h>

namespace qkv::profile {

namespace {

enum Column { kForward, kBackward, kUpdate, kColumns };

// One cursor (the last mark) and the totals. Only the thread that records ops moves the
// cursor; the allocator may run on worker threads, hence the atomic.
struct State {
  bool enabled = false;
  bool in_step = false;  // only time between step_begin and step_end is charged
  bool in_backward = false;
  int scope = -1;  // innermost Scope's family, or -1
  int64_t mark_ns = 0;
  int64_t mark_alloc_ns = 0;
  int64_t step_start_ns = 0;
  int64_t step_ns = 0;
  int64_t steps = 0;
  std::array<std::array<int64_t, kColumns>, kFamilies> ns{};
  std::map<std::string, std::array<int64_t, 3>, std::less<>> by_op;  // forward ns, backward ns, calls
  std::atomic<int64_t> alloc_ns{0};
};

State& state() {
  static State s;
  return s;
}

// Charges [mark, now) to f (minus the allocator's share) and moves the mark.
int64_t charge(Family f, Column col) {
  State& s = state();
  if (!s.in_step) return 0;
  const int64_t now = now_ns(), alloc = s.alloc_ns.load(std::memory_order_relaxed);
  const int64_t alloc_part = alloc - s.mark_alloc_ns, own = (now - s.mark_ns) - alloc_part;
  s.ns[static_cast<int>(f)][col] += own;
  s.ns[static_cast<int>(Family::allocator)][col] += alloc_part;
  s.mark_ns = now;
  s.mark_alloc_ns = alloc;
  return own;
}

// Time of one recorded op (forward or backward), by op name, for the "top ops" list.
void charge_op(const char* op, Column col, int64_t ns) {
  auto& entry = state().by_op[op];
  entry[col == kBackward ? 1 : 0] += ns;
  entry[2] += col == kBackward ? 0 : 1;  // calls
}

Column column_for(Family f) {
  if (state().in_backward) return kBackward;
  return f == Family::optimizer ? kUpdate : kForward;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

const char* name(Family f) {
  static constexpr const char* kNames[kFamilies] = {"matmul", "attention", "norms",     "elementwise", "loss",
                                                    "embedding", "optimizer", "allocator", "tape",     "other"};
  return kNames[static_cast<int>(f)];
}

Family family_of(const char* op) {
  const std::string_view s(op);
  // gelu_mlp is two GEMMs and one elementwise pass: its time is the GEMMs'.
  if (s == "matmul" || s == "linear" || s == "gelu_mlp") return Family::matmul;
  if (starts_with(s, "scaled_dot") || starts_with(s, "attention")) return Family::attention;
  if (s.find("norm") != std::string_view::npos) return Family::norm;
  if (s.find("cross_entropy") != std::string_view::npos || s.find("nll") != std::string_view::npos)
    return Family::loss;
  if (s.find("embedding") != std::string_view::npos || s.find("index") != std::string_view::npos ||
      s.find("gather") != std::string_view::npos)
    return Family::embedding;
  static constexpr const char* kOther[] = {"view",   "reshape", "permute", "transpose", "slice", "expand",
                                           "concat", "as_strided", "contiguous", "squeeze", "unsqueeze", "split"};
  for (const char* o : kOther)
    if (starts_with(s, o)) return Family::other;
  return Family::elementwise;  // add, mul, gelu, softmax, dropout, masked_fill, sum, ...
}

bool enabled() { return state().enabled; }
void set_enabled(bool on) { state().enabled = on; }

void reset() {
  State& s = state();
  s.ns = {};
  s.by_op.clear();
  s.steps = 0;
  s.step_ns = 0;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void step_begin() {
  State& s = state();
  if (!s.enabled) return;
  s.in_step = true;
  s.mark_ns = s.step_start_ns = now_ns();
  s.mark_alloc_ns = s.alloc_ns.load(std::memory_order_relaxed);
}

void step_end() {
  State& s = state();
  if (!s.enabled || !s.in_step) return;
  charge(Family::other, kUpdate);
  s.step_ns += s.mark_ns - s.step_start_ns;
  s.steps++;
  s.in_step = false;
}

Family charge_forward(const char* op) {
  State& s = state();
  if (!s.enabled) return Family::other;
  const Family f = s.scope >= 0 ? static_cast<Family>(s.scope) : family_of(op);
  charge_op(op, column_for(f), charge(f, column_for(f)));
  return f;
}

void charge_tape() {
  if (!state().enabled) return;
  state().in_backward = true;
  charge(Family::tape, kBackward);
}

void charge_backward(Family f, const char* op) {
  if (!state().enabled) return;
  charge_op(op, kBackward, charge(f, kBackward));
}

void backward_end() {
  if (!state().enabled) return;
  charge(Family::tape, kBackward);
  state().in_backward = false;
}

void add_allocator_ns(int64_t ns) { state().alloc_ns.fetch_add(ns, std::memory_order_relaxed); }

Scope::Scope(Family f) : active_(enabled()), prev_(state().scope) {
  if (!active_) return;
  // What ran before the scope belongs to the enclosing scope, or is glue ("other").
  const Family before = prev_ >= 0 ? static_cast<Family>(prev_) : Family::other;
  charge(before, column_for(before));
  state().scope = static_cast<int>(f);
}

Scope::~Scope() {
  if (!active_) return;
  const Family f = static_cast<Family>(state().scope);
  charge(f, column_for(f));
  state().scope = prev_;
}

Totals totals() {
  const State& s = state();
  Totals t;
  t.steps = s.steps;
  if (s.steps == 0) return t;
  const double per_step = 1e-6 / static_cast<double>(s.steps);  // ns -> ms per step
  t.step_ms = static_cast<double>(s.step_ns) * per_step;
  for (int f = 0; f < kFamilies; ++f)
    for (int64_t ns : s.ns[f]) t.family_ms[f] += static_cast<double>(ns) * per_step;
  return t;
}

std::string report() {
  State& s = state();
  if (s.steps == 0) return "profile: no step was profiled\n";
  const double per_step = 1e-6 / static_cast<double>(s.steps);  // ns -> ms per step
  const double step_ms = static_cast<double>(s.step_ns) * per_step;
  std::string out = fmt::format("profile over {} steps: {:.2f} ms per step\n", s.steps, step_ms);
  out += fmt::format("{:<12} {:>10} {:>10} {:>10} {:>10} {:>7}\n", "family", "forward", "backward", "update",
                     "total ms", "share");
  for (int f = 0; f < kFamilies; ++f) {
    const auto& c = s.ns[f];
    const double total = static_cast<double>(c[kForward] + c[kBackward] + c[kUpdate]) * per_step;
    out += fmt::format("{:<12} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f} {:>6.1f}%\n", name(static_cast<Family>(f)),
                       static_cast<double>(c[kForward]) * per_step, static_cast<double>(c[kBackward]) * per_step,
                       static_cast<double>(c[kUpdate]) * per_step, total, 100.0 * total / step_ms);
  }
  // The ops that cost most, forward and backward together.
  std::vector<std::pair<std::string, std::array<int64_t, 3>>> ops(s.by_op.begin(), s.by_op.end());
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second[0] + a.second[1] > b.second[0] + b.second[1]; });
  out += fmt::format("{:<22} {:>10} {:>10} {:>12}\n", "top ops", "forward", "backward", "calls/step");
  for (size_t i = 0; i < std::min<size_t>(ops.size(), 12); ++i) {
    const auto& [op, c] = ops[i];
    out += fmt::format("{:<22} {:>10.2f} {:>10.2f} {:>12.1f}\n", op, static_cast<double>(c[0]) * per_step,
                       static_cast<double>(c[1]) * per_step, static_cast<double>(c[2]) / static_cast<double>(s.steps));
  }
  return out;
}

}  // namespace qkv::profile
