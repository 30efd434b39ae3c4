# Data parallelism from the outside, with mpirun on this machine (2 ranks, --oversubscribe):
#  - 2 ranks against 1 process, 30 steps, dropout on: every logged loss and the final
#    parameters and optimizer state within 1e-5 relative; both tasks (lm, translation),
#    and with gradient accumulation;
#  - a run started on 2 ranks resumed on 1: the same as an uninterrupted run;
#  - a 4-run quick study on 2 ranks: each run trained once, results.csv as one rank's;
#  - refusals (a batch that does not split, ranks with different configs): one line,
#    exit 2, nothing written;
#  - a rank killed with SIGKILL: the job stops, the newest checkpoint loads with
#    `qkv eval`, and --resume finishes the run.
# Usage: cli_data_parallel.sh QKV CHECKPOINT_COMPARE MPI(ON|OFF). Exit 77 (skipped) when
# qkv was built without MPI or mpirun is missing.
set -u
QKV=$1 COMPARE=$2 WITH_MPI=$3
if [ "$WITH_MPI" != ON ] || ! command -v mpirun >/dev/null; then
  echo "skipped: qkv was built without MPI (or mpirun is missing): install libopenmpi-dev openmpi-bin and rebuild"
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/tiny_run.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi() { timeout 120 mpirun --quiet --oversubscribe --bind-to none "$@"; }

# same_losses A.csv B.csv: the same steps, train and val losses within 1e-5 relative.
same_losses() {
  awk -F, 'NR == FNR { if (FNR > 1) { tr[$1] = $2; va[$1] = $3 }; next }
    FNR == 1 { next }
    function off(a, b) { d = a - b; if (d < 0) d = -d; s = a < 0 ? -a : a; return d > 1e-5 * s + 1e-6 }
    { n++; if (!($1 in tr) || off($2, tr[$1]) || ($3 != "" && off($3, va[$1])) || ($3 == "") != (va[$1] == "")) {
        print "  step " $1 ": " $2 " " $3 " against " tr[$1] " " va[$1]; bad++ } }
    END { if (n == 0) print "  no rows"; exit (bad > 0 || n == 0) }' "$1" "$2"
}
# same_state A.h5 B.h5: parameters and optimizer state within 1e-5 relative.
same_state() { "$COMPARE" "$1" "$2" 1e-5 | tail -1 | sed 's/^/  /'; "$COMPARE" "$1" "$2" 1e-5 >/dev/null; }

# ---- a language model: 2 ranks against 1 process ------------------------------------
make_tiny_run "$dir" 16 'max_iters = 30
batch_size = 8
eval_interval = 10
log_interval = 5
checkpoint_interval = 10
threads = 1'
# No biases: the key projection's bias gets an exactly zero gradient in exact arithmetic
# (softmax ignores a shift shared by a query's scores), so its float gradient is rounding
# noise that Adam scales up to lr-sized steps, and 1 process and 2 ranks round differently.
sed -i 's/^\[model\]/[model]\ndropout = 0.1\nbias = false/' "$dir/tiny.toml"
"$QKV" train --config "$dir/tiny.toml" --out "$dir/one" --quiet >/dev/null
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/two" > "$dir/two.log" 2>&1
check "lm: 2 ranks train (exit 0)" test $? -eq 0
check "lm: rank 0 prints the ranks and the allreduce wait" grep -q "2 ranks, allreduce wait" "$dir/two.log"
check "lm: one summary line (rank 0 alone reports)" test "$(grep -c '^done:' "$dir/two.log")" -eq 1
check "lm: 2 ranks log the losses of 1 process" same_losses "$dir/one/metrics.csv" "$dir/two/metrics.csv"
check "lm: 2 ranks end with the parameters of 1 process" same_state "$dir/one/ckpt-000030.h5" "$dir/two/ckpt-000030.h5"
check "lm: one metrics.csv series (rank 0 writes)" test "$(grep -c '^30,' "$dir/two/metrics.csv")" -eq 1

# Gradient accumulation: only the last micro-batch's backward is reduced.
"$QKV" train --config "$dir/tiny.toml" --out "$dir/accum-one" --set train.grad_accum=2 --quiet >/dev/null
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/accum-two" --set train.grad_accum=2 --quiet >/dev/null 2>&1
check "lm, grad_accum 2: 2 ranks end with the parameters of 1 process" \
  same_state "$dir/accum-one/ckpt-000030.h5" "$dir/accum-two/ckpt-000030.h5"

# ---- resume across rank counts: 2 ranks for 20 steps, then 1 rank to 30 ---------------
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/across" --set train.max_iters=20 --quiet >/dev/null 2>&1
"$QKV" train --config "$dir/tiny.toml" --out "$dir/across" --resume --quiet >/dev/null 2>&1
check "resume: 2 ranks then 1 rank, the run ends" test -f "$dir/across/ckpt-000030.h5"
check "resume: 2 ranks then 1 rank log the losses of one run" same_losses "$dir/one/metrics.csv" "$dir/across/metrics.csv"
check "resume: 2 ranks then 1 rank end as one run" same_state "$dir/one/ckpt-000030.h5" "$dir/across/ckpt-000030.h5"

# ---- translation: 2 ranks against 1 process -----------------------------------------
make_tiny_pairs "$dir"
cat > "$dir/s2s.toml" <<TOML
[data]
corpus = "$dir/pairs"
[model]
kind = "seq2seq"
n_layer = 1
n_head = 2
n_embd = 16
block_size = 40
dropout = 0.1
bias = false
[train]
max_iters = 30
batch_size = 8
eval_interval = 10
eval_iters = 2
log_interval = 5
checkpoint_interval = 30
threads = 1
TOML
"$QKV" train --config "$dir/s2s.toml" --out "$dir/s2s-one" --quiet >/dev/null
mpi -np 2 "$QKV" train --config "$dir/s2s.toml" --out "$dir/s2s-two" --quiet >/dev/null 2>&1
check "translation: 2 ranks train (exit 0)" test $? -eq 0
check "translation: 2 ranks log the losses of 1 process" same_losses "$dir/s2s-one/metrics.csv" "$dir/s2s-two/metrics.csv"
check "translation: 2 ranks end with the parameters of 1 process" \
  same_state "$dir/s2s-one/ckpt-000030.h5" "$dir/s2s-two/ckpt-000030.h5"

# ---- a study on 2 ranks ---------------------------------------------------------------
study() {  # study OUT LAUNCHER...
  local out=$1
  shift
  "$@" ablate --config "$dir/tiny.toml" --quick --variants full,no_q --seeds 2 --quiet --out "$out"
}
study "$dir/study-one" "$QKV" >/dev/null 2>&1
study "$dir/study-two" mpi -np 2 "$QKV" > "$dir/study-two.log" 2>&1
check "ablate: 2 ranks run the study (exit 0)" test $? -eq 0
check "ablate: 4 runs trained" grep -q "runs: 4 trained, 0 resumed" "$dir/study-two.log"
once=0
for m in "$dir"/study-two/*/seed*/metrics.csv; do
  # One series: each step logged once, in order.
  awk -F, 'NR > 1 { if ($1 <= last) exit 1; last = $1 } END { exit last != 30 }' "$m" && once=$((once + 1))
done
check "ablate: each run's metrics.csv holds one series of 30 steps" test "$once" -eq 4
# Every column but the timings (tokens_per_s, wall_s) as one rank's study.
no_timing() { [ -s "$1" ] && cut -d, -f1-17,20- "$1"; }
same_results() { no_timing "$1" > "$dir/a.csv" && no_timing "$2" > "$dir/b.csv" && diff "$dir/a.csv" "$dir/b.csv"; }
check "ablate: results.csv is one rank's" same_results "$dir/study-one/results.csv" "$dir/study-two/results.csv"

# ---- refusals: one line, exit 2, nothing written --------------------------------------
refused() {  # refused WHAT PATTERN OUT CMD...: the command fails with one error line.
  local what=$1 pattern=$2 out=$3
  shift 3
  "$@" > "$dir/refused.out" 2> "$dir/refused.err"
  local rc=$? lines
  lines=$(cat "$dir/refused.out" "$dir/refused.err" | grep -c .)
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^qkv: error: .*$pattern" "$dir/refused.err" && [ ! -e "$out" ]; then
    return 0
  fi
  echo "  exit $rc, $lines lines, $out $( [ -e "$out" ] && echo exists || echo absent):"
  sed 's/^/  | /' "$dir/refused.out" "$dir/refused.err"
  return 1
}
check "refused: a batch of 7 on 2 ranks" refused "batch" "batch_size 7 does not split over 2 ranks" "$dir/r1" \
  mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/r1" --set train.batch_size=7
check "refused: ranks with different configs" refused "configs" "config differs from rank 0's: model.n_head is 2 here and 1 on rank 0" \
  "$dir/r2" mpi -np 1 "$QKV" train --config "$dir/tiny.toml" --out "$dir/r2" --set model.n_head=1 : \
  -np 1 "$QKV" train --config "$dir/tiny.toml" --out "$dir/r2"

check "refused: a command that does not spread over ranks" refused "sample" "sample runs in one process" "$dir/r3" \
  mpi -np 2 "$QKV" sample --checkpoint "$dir/one/ckpt-000030.h5" --tokens 5

# ---- SIGUSR1 to mpirun (it forwards it): every rank stops at one step, rank 0 saves -----
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/usr1" --set train.max_iters=1000000 --quiet \
  > "$dir/usr1.log" 2>&1 &
job=$!
for _ in $(seq 200); do ls "$dir"/usr1/ckpt-*.h5 >/dev/null 2>&1 && break; sleep 0.1; done
pkill -USR1 -f -- "^mpirun .*--out $dir/usr1"
wait "$job"
rc=$?
stopped_at=$(sed -n 's/^done: step \([0-9]*\),.*/\1/p' "$dir/usr1.log")
check "SIGUSR1: the job exits 130 (exit $rc)" test "$rc" -eq 130
check "SIGUSR1: rank 0 saved the step it stopped at (${stopped_at:-none})" \
  test -n "$stopped_at" -a -f "$dir/usr1/$(printf 'ckpt-%06d.h5' "${stopped_at:-0}")"

# ---- a rank killed with SIGKILL -------------------------------------------------------
make_tiny_run "$dir" 32 'max_iters = 100000
batch_size = 8
eval_interval = 100000
log_interval = 50
checkpoint_interval = 20
threads = 1'
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/killed" --quiet > "$dir/killed.log" 2>&1 &
job=$!
for _ in $(seq 200); do ls "$dir"/killed/ckpt-*.h5 >/dev/null 2>&1 && break; sleep 0.1; done
victim=$(pgrep -f -- "--out $dir/killed" | while read -r p; do [ "$(cat /proc/$p/comm)" = qkv ] && echo "$p"; done | tail -1)
kill -9 "$victim" 2>/dev/null
stopped=no
for _ in $(seq 300); do kill -0 "$job" 2>/dev/null || { stopped=yes; break; }; sleep 0.1; done
wait "$job"
rc=$?
check "killed: the job stops within 30 s" test "$stopped" = yes
check "killed: mpirun reports the failure (exit $rc)" test "$rc" -ne 0
check "killed: no rank left running" test -z "$(pgrep -f -- "--out $dir/killed")"
newest=$(ls "$dir"/killed/ckpt-*.h5 | tail -1)
check "killed: the newest checkpoint loads with qkv eval" "$QKV" eval --checkpoint "$newest"
steps=$(basename "$newest" .h5 | sed 's/ckpt-0*//')
mpi -np 2 "$QKV" train --config "$dir/tiny.toml" --out "$dir/killed" --resume --set train.max_iters=$((steps + 20)) \
  --quiet >/dev/null 2>&1
check "killed: --resume on 2 ranks continues to step $((steps + 20))" test -f "$dir/killed/$(printf 'ckpt-%06d.h5' $((steps + 20)))"

[ $fails -eq 0 ] && echo "all checks passed" || echo "$fails checks failed"
exit $((fails > 0))
