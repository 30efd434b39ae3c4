// Checks for number and path options, in place of CLI11's PositiveNumber,
// NonNegativeNumber and Range (whose errors print the 309-digit bound of a double):
// "--tokens must be >= 0, got -5", "--beam must be in [1, 64], got 100000", and NaN or
// inf refused for every number ("--temperature must be a finite number >= 0, got nan").
#pragma once
#include <CLI/CLI.hpp>
#include <limits>

namespace qkv::cli {

// A number from min to max (both included).
CLI::Validator bounded(double min, double max = std::numeric_limits<double>::infinity());
// A string that is not empty (an output folder, a path): "--out must not be empty".
CLI::Validator non_empty(const char* expected);

// The largest sensible values of the decoding options, shared by sample, translate and
// eval. Beam search's quality peaks at a beam of 4 to 10 and falls beyond (Koehn and
// Knowles 2017), and decoding holds batch x beam rows of key/value caches: 64 leaves
// room to experiment. A million new tokens take hours on a CPU; more is a typo.
inline constexpr double kMaxBeam = 64;
inline constexpr double kMaxNewTokens = 1'000'000;
// Sentences or windows per forward pass: past this the pass only costs memory.
inline constexpr double kMaxBatch = 4096;
// --threads, as the config's train.threads.
inline constexpr double kMaxThreads = 1024;

}  // namespace qkv::cli
