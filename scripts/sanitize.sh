#!/usr/bin/env bash
# The test suite under AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer:
# builds build-asan/ (scripts/build_asan.sh) and runs ctest there; any sanitizer report
# fails its test. Extra arguments go to ctest (e.g. -R tokenizer).
#
# Every test runs except two slow numerical ones, which exercise no parsing, files or
# input, only float64 arithmetic that the rest of the suite also runs (about 110 s each
# under the sanitizers, a third of the suite's time):
#   "every layer case passes gradcheck in float64"  finite differences over every layer
#   cli_gradcheck_all                               the same layer and op catalogues, via qkv
# (the op catalogue still runs, as "every op case passes gradcheck in float64", and the
# gradcheck command as cli_gradcheck_one_op). QKV_SANITIZE_ALL=1 runs them too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build_asan.sh
source scripts/sanitizer_env.sh
exclude=()
[[ ${QKV_SANITIZE_ALL:-0} == 1 ]] || exclude=(-E '^(every layer case passes gradcheck in float64|cli_gradcheck_all)$')
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" "${exclude[@]}" "$@"
