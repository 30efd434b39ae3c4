#!/usr/bin/env bash
# README's second command: set up, build, run the whole test suite; then the same suite
# under AddressSanitizer + UndefinedBehaviorSanitizer (scripts/sanitize.sh) and each fuzz
# target for QKV_FUZZ_SECONDS seconds (scripts/fuzz.sh; 10 by default here, two targets
# at a time). Every stage runs; the exit status is non-zero when any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DQKV_BUILD_BENCH=OFF
failed=()
ctest --test-dir build --output-on-failure -j"$(nproc)" || failed+=("test suite")
# QKV_TEST_SANITIZERS=0 stops here (the sanitizer build is about half of this script's time).
if [[ ${QKV_TEST_SANITIZERS:-1} != 0 ]]; then
  scripts/sanitize.sh || failed+=("sanitizer suite (scripts/sanitize.sh)")
  scripts/fuzz.sh "${QKV_FUZZ_SECONDS:-10}" || failed+=("fuzzers (scripts/fuzz.sh)")
fi
if (( ${#failed[@]} > 0 )); then
  printf 'test: FAILED: %s\n' "${failed[@]}"
  exit 1
fi
