#!/usr/bin/env bash
# Interrupting `qkv train`: Ctrl-C (SIGINT) saves a checkpoint and exits 130; kill -9 at
# any moment, even while a checkpoint is being written, leaves the newest complete
# checkpoint loadable; and --resume goes on from it.
# Usage: cli_train_interrupt.sh QKV_BINARY
set -u
qkv=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0 passes=0
ok() { echo "ok   $1"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }

source "$(dirname "$0")/tiny_run.sh"
# A checkpoint every step, so that kill -9 often lands while one is being written.
make_tiny_run "$dir" 32 "max_iters = 1000000
batch_size = 8
eval_interval = 1000
checkpoint_interval = 1
keep_checkpoints = 3"

# Ctrl-C: saves and exits 130.
"$qkv" train --config "$dir/tiny.toml" > "$dir/sigint.txt" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
if [[ $rc -eq 130 ]] && grep -q "interrupted at step" "$dir/sigint.txt"; then ok "SIGINT saves and exits 130"; else bad "SIGINT: exit $rc"; cat "$dir/sigint.txt"; fi

# kill -9 at random moments: the newest complete checkpoint always loads.
for round in 1 2 3 4 5; do
  "$qkv" train --config "$dir/tiny.toml" --resume --quiet > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  sleep 1
  kill -9 $pid
  wait $pid 2>/dev/null
  newest=$(ls "$dir"/run/ckpt-*.h5 | sort | tail -1)
  if "$qkv" sample --checkpoint "$newest" --tokens 3 > /dev/null 2> "$dir/err.txt"; then
    ok "kill -9 round $round: $(basename "$newest") loads"
  else
    bad "kill -9 round $round: $(basename "$newest") does not load: $(cat "$dir/err.txt")"
  fi
done

# And training resumes from it.
step_before=$(ls "$dir"/run/ckpt-*.h5 | sort | tail -1 | sed 's/.*ckpt-0*\([0-9]*\)\.h5/\1/')
if "$qkv" train --config "$dir/tiny.toml" --resume --set train.max_iters=$((step_before + 2)) --quiet > "$dir/resume.txt" 2>&1; then
  ok "resume after kill -9 reaches step $((step_before + 2))"
else
  bad "resume after kill -9: $(cat "$dir/resume.txt")"
fi
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
