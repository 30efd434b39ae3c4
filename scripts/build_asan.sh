#!/usr/bin/env bash
# Configures and builds the sanitizer build, build-asan/: clang 14 with
# -fsanitize=address,undefined (any report fatal) at -O1, and the libFuzzer targets of
# fuzz/ (QKV_FUZZ). scripts/sanitize.sh runs the test suite on it, scripts/fuzz.sh the
# fuzzers: one build serves both. No benchmarks. Uses ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in clang-14 clang++-14; do
  command -v "$tool" >/dev/null || { echo "build_asan: $tool not found: run scripts/setup.sh" >&2; exit 2; }
done
launcher=()
if command -v ccache >/dev/null; then
  # Paths relative to the checkout, so that another clone of it hits the same cache.
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# Without MPI: OpenMPI's own allocations would drown LeakSanitizer's report (the MPI tests
# skip in this build; the normal build runs them).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DQKV_FUZZ=ON -DQKV_BUILD_BENCH=OFF -DQKV_MPI=OFF "${launcher[@]}" >/dev/null
cmake --build build-asan -j"$(nproc)"
