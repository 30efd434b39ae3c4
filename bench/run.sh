#!/usr/bin/env bash
# Training-step throughput of qkv against the PyTorch peer (docs/design.md section 8).
#   bench/run.sh [gpt-tiny] [gpt-small] [seq2seq]        (all three when none is named)
# For each config runs qkv's bench_step and then the peer program, each in its own process
# under /usr/bin/time -v (peak RSS: "Maximum resident set size", measured the same way for
# both), and prints a Markdown table and the environment. Builds nothing.
# Environment:
#   QKV_BENCH_THREADS  threads for both (default 2)
#   QKV_BENCH_WARMUP, QKV_BENCH_STEPS  untimed and timed steps (default 5 and 20, the peer's)
#   QKV_BENCH_REPEAT   runs of each side per config, alternating qkv and PyTorch (default 1);
#                      above 1 the table shows the median run of each side and a line lists
#                      every run's ratio, since a shared machine's speed drifts by 10-20%
#   QKV_BENCH_STEP     the bench_step binary (default build/bench/bench_step)
#   QKV_PEER_DIR       the peer programs (default ../shared/peer next to the repository)
#   QKV_FMA_PEAK       the FMA peak in GFLOP/s for the share column (default 537, a Zen 5's, docs/design.md section 8);
#                      the peak this machine measurably delivers (bench_fma_peak, measured
#                      just before every qkv run, since a shared host's clock drifts) is
#                      printed under the table with each config's median share of it
#   QKV_BENCH_OUT      where the raw JSON and time -v logs go (default a new temp dir)
# OPENBLAS_* and OMP_* are left as they are: the figures are for the environment as set.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
threads=${QKV_BENCH_THREADS:-2}
warmup=${QKV_BENCH_WARMUP:-5}
steps=${QKV_BENCH_STEPS:-20}
repeat=${QKV_BENCH_REPEAT:-1}
bench_step=${QKV_BENCH_STEP:-$repo/build/bench/bench_step}
peer_dir=${QKV_PEER_DIR:-$repo/../shared/peer}
fma_peak=${QKV_FMA_PEAK:-537}
out=${QKV_BENCH_OUT:-$(mktemp -d /tmp/qkv-bench.XXXXXX)}
python=/usr/bin/python3

die() { echo "run.sh: $*" >&2; exit 2; }
[ -x "$bench_step" ] || die "$bench_step not found: build it first with scripts/build.sh (or set QKV_BENCH_STEP)"
[ -f "$peer_dir/torch_gpt.py" ] || die "no peer programs in $peer_dir (set QKV_PEER_DIR)"
command -v jq >/dev/null || die "jq is needed to read the JSON results (apt-get install jq)"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(gpt-tiny gpt-small seq2seq)

peer_command() {
  case $1 in
    gpt-tiny) echo "$peer_dir/torch_gpt.py --config tiny" ;;
    gpt-small) echo "$peer_dir/torch_gpt.py --config small" ;;
    seq2seq) echo "$peer_dir/torch_seq2seq.py" ;;
    *) die "unknown config '$1' (expected gpt-tiny, gpt-small or seq2seq)" ;;
  esac
}

# measure NAME CMD...: runs CMD under time -v; its JSON goes to $out/NAME.json.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.json" || die "$name failed: $* (see $out/$name.time)"
}
# The CPU share a process got (time -v); well under 100% x threads means other load took
# the cores and the figures understate that side.
cpu_share() { awk -F': ' '/Percent of CPU this job got/ { print $2 }' "$out/$1.time"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$out/$1.time"; }
# Tokens per second: the GPT peer's tokens_per_s, the seq2seq peer's target positions.
field() { jq -r "$2" "$out/$1.json"; }
tokens_per_s() { field "$1" '.tokens_per_s // .target_positions_per_s'; }
flops_per_step() { field "$1" '.flops_per_step // (.flops_per_token * .tokens_per_step)'; }

for config in "${configs[@]}"; do peer_command "$config" >/dev/null; done  # names checked before any run

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rows=() shares=() measured_shares=() spreads=() peaks=()
load=$(cut -d' ' -f1 /proc/loadavg)
fma_probe=$(dirname "$bench_step")/bench_fma_peak
[ -x "$fma_probe" ] || fma_probe=""
for config in "${configs[@]}"; do
  peer=$(peer_command "$config")
  qs=() ps=() ratios=() run_shares=()
  for ((r = 1; r <= repeat; r++)); do
    peak_now=$([ -n "$fma_probe" ] && "$fma_probe" "$threads" || echo "")
    measure "$config.qkv" "$bench_step" --config "$config" --threads "$threads" --warmup "$warmup" --steps "$steps"
    if [ -n "$peak_now" ]; then  # this run's GFLOP/s over the peak measured just before it
      peaks+=("$peak_now")
      run_shares+=("$(awk -v g="$(field "$config.qkv" .gflops_full_step)" -v m="$peak_now" 'BEGIN { print 100 * g / m }')")
    fi
    # shellcheck disable=SC2086  # the peer command is a script and its arguments
    measure "$config.peer" "$python" $peer --threads "$threads" --warmup "$warmup" --steps "$steps"
    # Same work on both sides, or the ratio means nothing.
    if [ "$(flops_per_step "$config.qkv")" != "$(flops_per_step "$config.peer")" ]; then
      echo "run.sh: $config: FLOPs per step differ: qkv $(flops_per_step "$config.qkv"), peer $(flops_per_step "$config.peer")" >&2
    fi
    qs+=("$(tokens_per_s "$config.qkv")") ps+=("$(tokens_per_s "$config.peer")")
    ratios+=("$(awk -v q="${qs[-1]}" -v p="${ps[-1]}" 'BEGIN { printf "%.2f", q / p }')")
  done
  [ "$repeat" -le 1 ] || spreads+=("$config ${ratios[*]}")
  # The median run of each side; GFLOP/s follows qkv's median tokens/s (same FLOPs per token).
  q=$(printf '%s\n' "${qs[@]}" | median) p=$(printf '%s\n' "${ps[@]}" | median)
  g=$(awk -v q="$q" -v last="${qs[-1]}" -v g="$(field "$config.qkv" .gflops_full_step)" 'BEGIN { print g * q / last }')
  rows+=("$(awk -v c="$config" -v q="$q" -v p="$p" -v g="$g" -v peak="$fma_peak" \
    -v rq="$(rss_mib "$config.qkv")" -v rp="$(rss_mib "$config.peer")" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.1f | %.1f%% | %s | %s |", c, q, p, q / p, g, 100 * g / peak, rq, rp }')")
  shares+=("$config qkv $(cpu_share "$config.qkv"), PyTorch $(cpu_share "$config.peer")")
  [ ${#run_shares[@]} -eq 0 ] ||
    measured_shares+=("$config $(printf '%s\n' "${run_shares[@]}" | median | awk '{ printf "%.1f%%", $1 }')")
done

echo "| config | qkv tokens/s | PyTorch tokens/s | ratio | qkv GFLOP/s | share of peak ($fma_peak GFLOP/s) | qkv peak RSS MiB | PyTorch peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
joined=$(printf '%s; ' "${shares[@]}")
if [ ${#peaks[@]} -gt 0 ]; then
  measured_joined=$(printf '%s, ' "${measured_shares[@]}")
  range=$(printf '%s\n' "${peaks[@]}" | sort -g | sed -n '1p;$p' | paste -sd- | sed 's/^\([0-9]*\)-\1$/\1/')
  echo "FMA peak measured on this machine just before each qkv run (bench_fma_peak, $threads threads):" \
    "$range GFLOP/s; qkv's share of it (median over runs): ${measured_joined%, }"
fi
if [ ${#spreads[@]} -gt 0 ]; then
  spread_joined=$(printf '%s; ' "${spreads[@]}")
  echo "qkv / PyTorch per run ($repeat runs each, alternating; peak RSS and CPU share of the last): ${spread_joined%; }"
fi
echo "CPU share per process (time -v; $((threads * 100))% = all $threads threads busy): ${joined%; }"
echo "threads $threads, warmup $warmup, steps $steps (median step); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}," \
  "OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}; load average $load at start; $(date -u '+%Y-%m-%d %H:%M UTC');" \
  "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified tree)');" \
  "seq2seq tokens are target positions (padding included); raw results in $out"
