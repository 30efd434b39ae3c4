#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (scripts/build_asan.sh: clang 14, ASan + UBSan)
# and runs each for a bounded time, as many at a time as there are cores. The default
# targets leave out checkpoint_file (raw HDF5 bytes: it finds crashes inside libhdf5 itself,
# see fuzz/fuzz_checkpoint_file.cpp); name it to run it. Exits 1 when any target
# found a crash, a sanitizer report, an exception other than qkv::Error, a timeout or an
# out-of-memory; its input is kept in build-asan/fuzz-out/TARGET/ and the log names it.
#   scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 30); all targets by default
# A crash found is reproduced with build-asan/fuzz/fuzz_TARGET FILE; once fixed, copy FILE
# into fuzz/regressions/TARGET/ so that ctest replays it (fuzz_TARGET_replay).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(config checkpoint corpus tokenizer)
jobs=${QKV_FUZZ_JOBS:-$(nproc)}

scripts/build_asan.sh
source scripts/sanitizer_env.sh

out=build-asan/fuzz-out
rm -rf "$out"
run_one() {
  local t=$1 dir=$out/$1
  mkdir -p "$dir/new"
  local flags=() seeds=(fuzz/corpus/"$t")
  [[ -f fuzz/$t.dict ]] && flags+=(-dict="fuzz/$t.dict")
  [[ -d fuzz/regressions/$t ]] && seeds+=(fuzz/regressions/"$t")
  # new/ first: the inputs the run finds go there, not into the committed seeds.
  OMP_NUM_THREADS=1 build-asan/fuzz/fuzz_"$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="$dir/" "${flags[@]}" "$dir/new" "${seeds[@]}" > "$dir/log" 2>&1
}

declare -A pid_of
failed=()
for t in "${targets[@]}"; do
  [[ -x build-asan/fuzz/fuzz_$t ]] || { echo "fuzz: no target fuzz_$t" >&2; exit 2; }
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  echo "fuzz: $t for ${seconds}s"
  run_one "$t" &
  pid_of[$t]=$!
done
for t in "${targets[@]}"; do
  if wait "${pid_of[$t]}"; then
    echo "fuzz: $t: no crash ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out/$t/log" | grep -Eo '[0-9]+$') inputs run)"
  else
    failed+=("$t")
    echo "fuzz: $t: FOUND A CRASH; from $out/$t/log:"
    grep -E -A 24 '^(fuzz: |==[0-9]+==ERROR|.*runtime error)' "$out/$t/log" | head -n 40 | sed 's/^/    /'
    for f in "$out/$t"/crash-* "$out/$t"/leak-* "$out/$t"/timeout-* "$out/$t"/oom-*; do
      if [[ -e $f ]]; then echo "fuzz: reproduce with: build-asan/fuzz/fuzz_$t $f"; fi
    done
  fi
done
echo "fuzz: $(( ${#targets[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
(( ${#failed[@]} == 0 ))
