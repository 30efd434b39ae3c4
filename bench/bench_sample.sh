#!/usr/bin/env bash
# qkv sample with the key/value cache vs recomputing the whole context for every token
# (nanoGPT's generate), on the same model: a gpt-small (6 layers, 384 dim, block 256)
# checkpoint trained for one step on tiny Shakespeare (speed does not depend on the
# weights). Prints one Markdown row: tokens/s both ways and the ratio.
#   bench/bench_sample.sh [TOKENS]      (default 500; QKV_BENCH_THREADS, default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
qkv=build/cli/qkv
[ -x "$qkv" ] || { echo "bench_sample: $qkv not found; build first: bash scripts/build.sh" >&2; exit 2; }
tokens=${1:-500}
threads=${QKV_BENCH_THREADS:-2}
corpus=${QKV_BENCH_CORPUS:-../shared/data/tinyshakespeare.txt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$qkv" --threads "$threads" train --config configs/gpt-small.toml --quiet --out "$work/run" \
  --set "data.corpus=\"$corpus\"" --set train.max_iters=1 --set train.batch_size=1 \
  --set train.eval_iters=1 --set model.dropout=0.0 >/dev/null
ckpt="$work/run/ckpt-000001.h5"

# Seconds for one sample command (the model load is in both; it is a few ms).
time_sample() {
  local t0 t1
  t0=$(date +%s.%N)
  "$qkv" --threads "$threads" sample --checkpoint "$ckpt" --tokens "$tokens" --seed 1 "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
cached=$(time_sample)
recompute=$(time_sample --no-cache)
printf '| sample, gpt-small, %s tokens, %s threads | %.0f tokens/s with the cache | %.0f tokens/s recomputing | %.1fx |\n' \
  "$tokens" "$threads" "$(echo "$tokens / $cached" | bc -l)" "$(echo "$tokens / $recompute" | bc -l)" \
  "$(echo "$recompute / $cached" | bc -l)"
