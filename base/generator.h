// A seeded random generator (xoshiro256**, seeded through splitmix64). Every random
// op takes one explicitly, so a run is reproducible from its seed alone, and the
// state can be saved into a checkpoint and restored.
#pragma once
#include <array>
#include <cstdint>

namespace qkv {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { seed_(seed); }
  void seed_(uint64_t seed);
  uint64_t next_u64();
  double uniform();  // [0, 1), 53 random bits
  double normal();   // standard normal (Box-Muller; the spare value is kept)

  struct State {
    std::array<uint64_t, 4> s;
    double spare;
    bool has_spare;
  };
  State state() const { return {s_, spare_, has_spare_}; }
  void set_state(const State& st) { s_ = st.s; spare_ = st.spare; has_spare_ = st.has_spare; }

 private:
  std::array<uint64_t, 4> s_{};
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace qkv
