# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: the run-time options of the
# sanitizer build (build-asan/). Any report is fatal; leaks are detected (LeakSanitizer),
# less the suppressions in scripts/sanitizers/lsan.supp (one-time allocations of the
# system libraries we link, not ours). A caller's own *SAN_OPTIONS come first.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:abort_on_error=0"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:suppressions=$root/scripts/sanitizers/ubsan.supp"
