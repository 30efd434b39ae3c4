#!/usr/bin/env bash
# Soak: kill -9 a training run at 20 random moments (startup, a step, a checkpoint being
# written or pruned), resuming after each; the final checkpoint must hold the same
# parameters and optimizer state, bit for bit, as a run never interrupted (same config,
# same thread count). Kill times come from QKV_SOAK_SEED, printed, so a failure replays.
# Usage: cli_train_soak.sh QKV_BINARY CHECKPOINT_DIGEST [KILLS]
set -u
qkv=$1 digest=$2 kills=${3:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "$0")/tiny_run.sh"
steps=200
make_tiny_run "$dir" 16 "max_iters = $steps
batch_size = 4
eval_interval = 10
checkpoint_interval = 1
keep_checkpoints = 2"
seed=${QKV_SOAK_SEED:-$((RANDOM))}
RANDOM=$seed
echo "kill times from QKV_SOAK_SEED=$seed"

train() { "$qkv" --threads 1 train --config "$dir/tiny.toml" --quiet "$@"; }
t0=$(date +%s%N)
train --out "$dir/straight" > /dev/null || { echo "FAIL: the uninterrupted run failed"; exit 1; }
# Kill delays scale with this machine's speed: each round lives 1/60 to 1/60 + 1/25 of
# the uninterrupted run (startup included), so the kills land all along the run.
run_ms=$((($(date +%s%N) - t0) / 1000000))
echo "the uninterrupted run took $run_ms ms"

# Each round starts over when no checkpoint survived yet, else resumes.
round_flag() { if ls "$dir"/soak/ckpt-*.h5 > /dev/null 2>&1; then echo --resume; else echo --overwrite; fi; }
mid_run=0
for k in $(seq "$kills"); do
  "$qkv" --threads 1 train --config "$dir/tiny.toml" --quiet --out "$dir/soak" "$(round_flag)" > "$dir/round.txt" 2>&1 &
  pid=$!  # qkv itself, so that kill -9 hits it and not a shell around it
  delay_ms=$((run_ms / 60 + RANDOM % (run_ms / 25 + 1)))
  sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  kill -9 $pid 2> /dev/null
  wait $pid 2> /dev/null
  newest=$(ls "$dir"/soak/ckpt-*.h5 2> /dev/null | tail -1 | xargs -r basename)
  echo "kill $k after $delay_ms ms: newest ${newest:-none}"
  [[ "$newest" != "$(printf 'ckpt-%06d.h5' "$steps")" ]] && mid_run=$((mid_run + 1))
done
# Kills after the run ended prove nothing: most must land mid-run.
if [[ $mid_run -lt $((kills * 3 / 4)) ]]; then
  echo "FAIL: only $mid_run of $kills kills landed before the run ended; the soak tested too little"
  exit 1
fi
train --out "$dir/soak" "$(round_flag)" > "$dir/round.txt" 2>&1
last=$(printf 'ckpt-%06d.h5' "$steps")
if ! "$digest" "$dir/soak/$last" > "$dir/soak.txt" 2>&1; then
  echo "FAIL: the interrupted run did not reach $last: $(cat "$dir/round.txt" "$dir/soak.txt")"
  exit 1
fi
"$digest" "$dir/straight/$last" > "$dir/straight.txt"
if ! diff "$dir/straight.txt" "$dir/soak.txt"; then
  echo "FAIL: after $kills kills the final state differs from the uninterrupted run"
  exit 1
fi
echo "ok: after $kills kills at random moments, $last is bit-identical to the uninterrupted run ($(wc -l < "$dir/soak.txt") tensors)"
