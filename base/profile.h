// Where a training step's time goes, by op family (`qkv train --profile`, `bench_step
// --profile`). Off by default; when off, every hook is one branch on a global flag.
//
// How time is attributed, without a timer in every op:
// - forward: every differentiable op ends with record(); the time since the previous
//   record() (or since step_begin()) is charged to the op being recorded. Glue between
//   ops (views, shape checks) thus lands on the op that follows it.
// - backward: the replay times each tape entry's backward function and charges it to
//   the entry's family; the rest of the replay (walking the tape, freeing what entries
//   saved) is "tape".
// - the allocator's own time (cache lookups, system calls) is taken out of whatever it
//   happened inside and charged to "allocator".
// - explicit scopes (Scope) charge a region to a family: the optimizer step (its own
//   column, "update"), or the attention core composed of matmul/softmax ops, charged to
//   "attention" rather than "matmul".
#pragma once
#include <cstdint>
#include <string>

namespace qkv::profile {

enum class Family : uint8_t { matmul, attention, norm, elementwise, loss, embedding, optimizer, allocator, tape, other };
inline constexpr int kFamilies = 10;
const char* name(Family f);
// The family of a tape entry from its op name ("matmul", "layer_norm", "add", ...).
Family family_of(const char* op);

bool enabled();
void set_enabled(bool on);
void reset();  // clears the totals and the step count

// Marks the start of a training step: time before it is not charged to the next op.
void step_begin();
// Ends the step: its wall time counts towards the total the report compares against.
void step_end();

// Called by record(): charges the time since the last mark to the op (or to the family
// of the innermost active Scope) and returns the family to keep with the tape entry.
Family charge_forward(const char* op);
// The tape replay: before an entry's backward runs, the time since the last mark is
// replay overhead ("tape"); after it, the time since the last mark is the entry's.
void charge_tape();
void charge_backward(Family f, const char* op);
void backward_end();  // the replay's tail (clearing the tape) is "tape" too
// The allocator reports the nanoseconds it spent in each call; they are taken out of
// whatever region they happened in.
void add_allocator_ns(int64_t ns);
int64_t now_ns();

// A region charged to f: time before it goes to what was running, ops recorded inside it
// count as f, and time inside not charged to such ops (e.g. all of an optimizer step) is
// f's. Nests: the innermost scope wins.
class Scope {
 public:
  explicit Scope(Family f);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool active_;
  int prev_;  // the enclosing scope's family, or -1
};

// The table: per family, ms per step in forward, backward and update (optimizer), and
// the share of the step (every nanosecond between step_begin and step_end is charged
// somewhere, so the rows add up to the step); then the costliest ops by name.
std::string report();

// The same numbers for programs and tests: ms per step, overall and per family (all columns).
struct Totals {
  int64_t steps = 0;
  double step_ms = 0;
  double family_ms[kFamilies] = {};
};
Totals totals();

}  // namespace qkv::profile
