#!/usr/bin/env bash
# Data-parallel training throughput on one machine: qkv against PyTorch DDP (torch_ddp_gpt.py).
#   bench/run_dp.sh [gpt-tiny] [gpt-small]        (both when none is named)
# For each config, in one run, alternating qkv and PyTorch:
#   qkv 1x2      qkv train, 1 process x 2 threads (train.threads=2, no mpirun)
#   PyTorch 2x1  torch_ddp_gpt.py --ranks 2 --threads 1 (DDP over gloo)
#   qkv 2x1      mpirun --bind-to core -np 2 qkv train, 2 ranks x 1 thread
#   PyTorch 1x2  torch_ddp_gpt.py --ranks 1 --threads 2 (for reference)
#   qkv 2x1, one bucket (train.bucket_mb=1024): the same run with the allreduce started only
#                after backward, so none of it is hidden; its exposed wait is the whole
#                allreduce, which gives the share the default buckets hide (off: QKV_BENCH_ONE_BUCKET=0)
# qkv trains the peer's model: the same shape (layers, heads, width, block), the same global
# batch, an untied LM head without bias, biases in every other Linear and LayerNorm, learned
# positions, no dropout, AdamW lr 3e-4 (constant, no warm-up; beta2 0.999, weight decay 0.01,
# torch's defaults), no gradient clipping. The config is written into the output folder with
# a synthetic corpus of uniformly random characters (as the peer's random tokens) whose
# alphabet is the peer's vocabulary: 65 symbols for gpt-tiny, 256 for gpt-small.
# qkv's figure is the median of metrics.csv's tokens_per_s over the steps after the warm-up
# (log_interval 1: one row per step; evaluation and checkpoints happen only at the last step,
# after the timer); PyTorch's is its median step. The exposed allreduce (time after backward
# spent waiting on the gradient allreduce) comes from rank 0's progress lines ("allreduce wait
# X%" of each step). Peak RSS is /usr/bin/time's maximum resident set per process, summed over
# the ranks (the mpirun launcher left out); PyTorch's is the peer's own sum over its ranks
# (peak_rss_all_ranks_mib; mp.spawn's parent left out). Prints a Markdown table and the
# environment. Builds nothing.
# Environment:
#   QKV_BENCH_WARMUP, QKV_BENCH_STEPS  untimed and timed steps (default 5 and 20, the peer's)
#   QKV_BENCH_REPEAT   rounds of every side per config, alternating (default 1); above 1 the
#                      table shows each side's median round, and a line lists every round's ratios
#   QKV_BENCH_ONE_BUCKET  1 (default): also run qkv 2x1 with one bucket (see above); 0: skip it
#   QKV_BIN            the qkv binary (default build/cli/qkv)
#   QKV_PEER_DIR       the peer programs (default ../shared/peer next to the repository)
#   QKV_BENCH_OUT      where configs, corpora, logs and metrics go (default a new temp dir)
#   QKV_MPIRUN         the launcher (default mpirun); it runs as
#                      $QKV_MPIRUN --quiet --oversubscribe --bind-to core -np 2 ...
# Running as root sets OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM)=1 unless they are set. OPENBLAS_* and
# OMP_* are left as they are: the figures are for the environment as set. Run it on an idle
# machine: 2 ranks on 2 cores share them with everything else.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
warmup=${QKV_BENCH_WARMUP:-5}
steps=${QKV_BENCH_STEPS:-20}
repeat=${QKV_BENCH_REPEAT:-1}
one_bucket=${QKV_BENCH_ONE_BUCKET:-1}
qkv=${QKV_BIN:-$repo/build/cli/qkv}
peer_dir=${QKV_PEER_DIR:-$repo/../shared/peer}
mpirun=${QKV_MPIRUN:-mpirun}
out=${QKV_BENCH_OUT:-$(mktemp -d /tmp/qkv-bench-dp.XXXXXX)}
python=/usr/bin/python3

die() { echo "run_dp.sh: $*" >&2; exit 2; }
[ -x "$qkv" ] || die "$qkv not found: build it first with scripts/build.sh (or set QKV_BIN)"
[ -f "$peer_dir/torch_ddp_gpt.py" ] || die "no torch_ddp_gpt.py in $peer_dir (set QKV_PEER_DIR)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for peak RSS (apt-get install time)"
[ -x "$python" ] || die "$python is needed for the PyTorch peer (apt-get install python3-torch)"
command -v "$mpirun" >/dev/null || die "$mpirun not found (apt-get install openmpi-bin, or set QKV_MPIRUN)"
command -v jq >/dev/null || die "jq is needed to read the peer's JSON (apt-get install jq)"
"$python" -c 'import torch' 2>/dev/null || die "$python cannot import torch (apt-get install python3-torch)"
[[ $warmup =~ ^[0-9]+$ && $steps =~ ^[1-9][0-9]*$ && $repeat =~ ^[1-9][0-9]*$ ]] ||
  die "QKV_BENCH_WARMUP must be >= 0, QKV_BENCH_STEPS and QKV_BENCH_REPEAT >= 1"
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
fi
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(gpt-tiny gpt-small)
mkdir -p "$out"

# The peer's shapes (torch_gpt.py CONFIGS): vocab block batch n_layer n_head n_embd.
shape() {
  case $1 in
    gpt-tiny) echo "65 64 12 4 4 128" ;;
    gpt-small) echo "256 256 16 6 6 384" ;;
    *) die "unknown config '$1' (expected gpt-tiny or gpt-small)" ;;
  esac
}
peer_name() { echo "${1#gpt-}"; }
for config in "${configs[@]}"; do shape "$config" >/dev/null; done  # names checked before any run

# The peer's parameter count: embeddings V d + T d, per layer 4 (d^2 + d) attention,
# 2 LayerNorms (2 d each), MLP 8 d^2 + 5 d; final LayerNorm 2 d; untied head V d.
peer_parameters() {
  local V=$1 T=$2 L=$4 d=$6
  echo $((V * d + T * d + L * (4 * (d * d + d) + 4 * d + 8 * d * d + 5 * d) + 2 * d + V * d))
}

# A corpus of n uniformly random characters over a V-symbol alphabet (printable ASCII from
# '!' when it fits, else U+0100...), seeded, so that the char tokenizer's vocabulary is V.
write_corpus() {
  "$python" - "$1" "$2" <<'EOF'
import random, sys
V, path = int(sys.argv[1]), sys.argv[2]
alphabet = [chr(33 + i) for i in range(V)] if V <= 94 else [chr(0x100 + i) for i in range(V)]
rng = random.Random(1)
text = "".join(alphabet)  # every symbol in the train split
text += "".join(rng.choice(alphabet) for _ in range(300000))
text += "".join(alphabet)  # and in the validation split
open(path, "w", encoding="utf-8").write(text)
EOF
}

# write_config CONFIG: the qkv config matching the peer, into $out/CONFIG.toml.
write_config() {
  local config=$1 V T B L H d
  read -r V T B L H d <<<"$(shape "$config")"
  write_corpus "$V" "$out/$config.corpus.txt"
  local iters=$((warmup + steps))
  cat >"$out/$config.toml" <<EOF
# Written by bench/run_dp.sh: the shape, batch and optimizer of the PyTorch peer's "$(peer_name "$config")" config.
[data]
corpus = "$out/$config.corpus.txt"
tokenizer = "char"

[model]
kind = "gpt"
n_layer = $L
n_head = $H
n_embd = $d
block_size = $T
dropout = 0.0
bias = true             # nn.Linear and nn.LayerNorm have biases in the peer
tie_embeddings = false  # the peer's LM head is its own Linear, without bias
positions = "learned"

[train]
max_iters = $iters
batch_size = $B         # the global batch, split over the ranks
eval_interval = $((iters + 1000))
eval_iters = 1          # the trainer evaluates once at max_iters, after the timed steps
log_interval = 1
checkpoint_interval = $((iters + 1000))
seed = 1337
out = "$out/$config.run"

[optim]
name = "adamw"
lr = 3e-4
min_lr = 0.0
warmup_iters = 0
lr_decay_iters = 0
schedule = "constant"
beta1 = 0.9
beta2 = 0.999
weight_decay = 0.01
decay_embeddings = true  # torch.optim.AdamW decays every parameter
grad_clip = 0.0
EOF
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# A wrapper that runs its command under time, one file per rank ($OMPI_COMM_WORLD_RANK).
rank_time=$out/rank_time.sh
cat >"$rank_time" <<'EOF'
#!/bin/sh
# rank_time.sh PREFIX CMD...: CMD under /usr/bin/time; peak RSS (KiB), seconds, CPU share into PREFIX.RANK
prefix=$1; shift
exec /usr/bin/time -f "%M %e %P" -o "$prefix.${OMPI_COMM_WORLD_RANK:-0}" "$@"
EOF
chmod +x "$rank_time"

# qkv_run NAME CONFIG RANKS THREADS [--set ...]: one qkv training run; its folder $out/NAME.run,
# its stdout $out/NAME.log, time's lines $out/NAME.time.RANK.
qkv_run() {
  local name=$1 config=$2 ranks=$3 threads=$4; shift 4
  rm -f "$out/$name".time.*
  local cmd=("$qkv" train --config "$out/$config.toml" --out "$out/$name.run" --overwrite --set "train.threads=$threads" "$@")
  if [ "$ranks" = 1 ]; then
    "$rank_time" "$out/$name.time" "${cmd[@]}" >"$out/$name.log" 2>&1 || die "$name failed: see $out/$name.log"
  else
    "$mpirun" --quiet --oversubscribe --bind-to core -np "$ranks" "$rank_time" "$out/$name.time" "${cmd[@]}" \
      >"$out/$name.log" 2>&1 || die "$name failed: see $out/$name.log"
  fi
  grep -q '^done: ' "$out/$name.log" || die "$name: no 'done:' line in $out/$name.log"
}
# The median of metrics.csv's tokens_per_s over the rows after the warm-up.
qkv_tokens_per_s() {
  awk -F, -v w="$warmup" 'NR > 1 && $1 > w { print $5 }' "$out/$1.run/metrics.csv" | median
}
# Peak RSS summed over the ranks, MiB.
# (time's format line is the last of each file: a failed command's status comes before it).
qkv_rss_mib() { for f in "$out/$1".time.*; do tail -n 1 "$f"; done | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'; }
# Exposed allreduce over the timed steps: "MS PCT", the mean ms per step and its share of the
# step time (sum of exposed / sum of step times), from the progress lines' per-step
# "allreduce wait X%" (rounded to 1% by the trainer) and metrics.csv's tokens_per_s.
qkv_exposed() {
  local tokens=$2
  awk -F, -v w="$warmup" -v tok="$tokens" '
    FNR == 1 { file++ }
    file == 1 && FNR > 1 && $1 > w { step_ms[$1] = 1000 * tok / $5 }
    file == 2 && /^step [0-9]+\/[0-9]+ .*allreduce wait/ {
      split($0, a, /[ \/]/); s = a[2] + 0
      if (s > w && (s in step_ms)) {
        match($0, /allreduce wait [0-9.]+%/); p = substr($0, RSTART + 15, RLENGTH - 16) + 0
        exposed += p / 100 * step_ms[s]; total += step_ms[s]; n++
      }
    }
    END { if (n) printf "%.1f %.1f", exposed / n, 100 * exposed / total; else print "nan nan" }
  ' "$out/$1.run/metrics.csv" "$out/$1.log"
}
# Wall-clock tokens/s from metrics.csv's elapsed_s, from the warm-up's last row to the row
# before the last (the last row's elapsed time includes the final evaluation): everything
# between the steps counted too (logging, the per-step stop check).
qkv_wall_tokens_per_s() {
  awk -F, -v w="$warmup" -v last=$((warmup + steps - 1)) -v tok="$2" '
    NR > 1 && $1 == w { t0 = $6 } NR > 1 && $1 == last { t1 = $6 }
    END { if (last > w && t1 > t0) printf "%.0f", (last - w) * tok / (t1 - t0); else print "n/a" }
  ' "$out/$1.run/metrics.csv"
}
# The spread of the timed steps' times: standard deviation / mean.
qkv_step_cv() {
  awk -F, -v w="$warmup" 'NR > 1 && $1 > w { t = 1 / $5; s += t; q += t * t; n++ }
    END { m = s / n; v = q / n - m * m; printf "%.3f", (v > 0 ? sqrt(v) : 0) / m }' "$out/$1.run/metrics.csv"
}
qkv_buckets() { sed -n 's/.*gradients summed in \([0-9]*\) bucket.*/\1/p' "$out/$1.log" | head -1; }
# CPU share from time's lines (100% = one core busy), one per process ("83%" or "44%+36%").
cpu_share() { for f in "$@"; do tail -n 1 "$f"; done | awk '{ printf "%s%s", (NR > 1) ? "+" : "", $3 }'; }
qkv_parameters() { sed -n 's/^qkv train: \([0-9]*\) parameters.*/\1/p' "$out/$1.log" | head -1; }
qkv_vocab() { sed -n 's/^qkv train: .*vocab \([0-9]*\)).*/\1/p' "$out/$1.log" | head -1; }

# peer_run NAME CONFIG RANKS THREADS: the peer's JSON into $out/NAME.json.
peer_run() {
  local name=$1 config=$2 ranks=$3 threads=$4
  /usr/bin/time -f "%M %e %P" -o "$out/$name.time" \
    "$python" "$peer_dir/torch_ddp_gpt.py" --config "$(peer_name "$config")" --ranks "$ranks" --threads "$threads" \
    --warmup "$warmup" --steps "$steps" >"$out/$name.json" 2>"$out/$name.err" || die "$name failed: see $out/$name.err"
}
field() { jq -r "$2" "$out/$1.json"; }

load=$(cut -d' ' -f1 /proc/loadavg)
rows=() spreads=() walls=() hidden=() shapes=() targets=() cpus=() model_args=()
for config in "${configs[@]}"; do
  write_config "$config"
  read -r V T B L H d <<<"$(shape "$config")"
  tokens=$((B * T))
  cvs=() q12s=() q21s=() p21s=() p12s=() rq=() rp=() ems=() eps=() r_dp=() r_peer=() w12s=() w21s=() one_ms=()
  for ((r = 1; r <= repeat; r++)); do
    qkv_run "$config.qkv-1x2" "$config" 1 2
    peer_run "$config.torch-2x1" "$config" 2 1
    qkv_run "$config.qkv-2x1" "$config" 2 1
    peer_run "$config.torch-1x2" "$config" 1 2
    q12s+=("$(qkv_tokens_per_s "$config.qkv-1x2")") q21s+=("$(qkv_tokens_per_s "$config.qkv-2x1")")
    p21s+=("$(field "$config.torch-2x1" .tokens_per_s)") p12s+=("$(field "$config.torch-1x2" .tokens_per_s)")
    rq+=("$(qkv_rss_mib "$config.qkv-2x1")") rp+=("$(field "$config.torch-2x1" .peak_rss_all_ranks_mib)")
    read -r ms pct <<<"$(qkv_exposed "$config.qkv-2x1" "$tokens")"
    ems+=("$ms") eps+=("$pct") cvs+=("$(qkv_step_cv "$config.qkv-1x2")")
    w12s+=("$(qkv_wall_tokens_per_s "$config.qkv-1x2" "$tokens")") w21s+=("$(qkv_wall_tokens_per_s "$config.qkv-2x1" "$tokens")")
    r_dp+=("$(awk -v a="${q21s[-1]}" -v b="${q12s[-1]}" 'BEGIN { printf "%.2f", a / b }')")
    r_peer+=("$(awk -v a="${q21s[-1]}" -v b="${p21s[-1]}" 'BEGIN { printf "%.2f", a / b }')")
    # With one bucket by default (a model under train.bucket_mb) nothing is overlapped anyway.
    if [ "$one_bucket" = 1 ] && [ "$(qkv_buckets "$config.qkv-2x1")" != 1 ]; then
      qkv_run "$config.qkv-2x1-one-bucket" "$config" 2 1 --set train.bucket_mb=1024
      one_ms+=("$(qkv_exposed "$config.qkv-2x1-one-bucket" "$tokens" | cut -d' ' -f1)")
    fi
  done
  # Same model on both sides, or the ratio means nothing.
  n_qkv=$(qkv_parameters "$config.qkv-2x1") n_peer=$(peer_parameters "$V" "$T" "$B" "$L" "$H" "$d")
  [ "$n_qkv" = "$n_peer" ] ||
    echo "run_dp.sh: $config: parameter counts differ: qkv $n_qkv, peer $n_peer (vocab qkv $(qkv_vocab "$config.qkv-2x1"), peer $V)" >&2
  shapes+=("$config $n_qkv parameters (peer $n_peer), vocab $(qkv_vocab "$config.qkv-2x1") (peer $V), batch $B x $T")
  q12=$(printf '%s\n' "${q12s[@]}" | median) q21=$(printf '%s\n' "${q21s[@]}" | median)
  p21=$(printf '%s\n' "${p21s[@]}" | median) p12=$(printf '%s\n' "${p12s[@]}" | median)
  em=$(printf '%s\n' "${ems[@]}" | median) ep=$(printf '%s\n' "${eps[@]}" | median)
  rows+=("$(awk -v c="$config" -v q12="$q12" -v q21="$q21" -v p21="$p21" -v p12="$p12" \
    -v rq="$(printf '%s\n' "${rq[@]}" | median)" -v rp="$(printf '%s\n' "${rp[@]}" | median)" -v em="$em" -v ep="$ep" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.0f / %.0f | %.1f (%.1f%%) |", c, q12, q21, q21 / q12, p21, q21 / p21, p12, rq, rp, em, ep }')")
  targets+=("$(awk -v c="$config" -v q12="$q12" -v q21="$q21" -v p21="$p21" -v ep="$ep" 'BEGIN {
    ok = "met"; no = "NOT met"
    printf "%s: 2x1 / 1x2 %.2f (>= 0.95: %s), 2x1 / PyTorch 2x1 %.2f (>= 1.5: %s), exposed allreduce %.1f%% (<= 5%%: %s)", c,
      q21 / q12, (q21 / q12 >= 0.95) ? ok : no, q21 / p21, (q21 / p21 >= 1.5) ? ok : no, ep, (ep <= 5) ? ok : no }')")
  [ "$repeat" -le 1 ] || spreads+=("$config 2x1/1x2 ${r_dp[*]}, 2x1/PyTorch ${r_peer[*]}")
  walls+=("$config 1x2 $(printf '%s\n' "${w12s[@]}" | median | awk '{ printf ($1 ~ /^[0-9.]+$/) ? "%.0f" : "%s", $1 }'), 2x1 $(printf '%s\n' "${w21s[@]}" | median | awk '{ printf ($1 ~ /^[0-9.]+$/) ? "%.0f" : "%s", $1 }')")
  cpus+=("$config qkv 1x2 $(cpu_share "$out/$config.qkv-1x2".time.*), qkv 2x1 $(cpu_share "$out/$config.qkv-2x1".time.*), PyTorch 2x1 $(cpu_share "$out/$config.torch-2x1.time"), PyTorch 1x2 $(cpu_share "$out/$config.torch-1x2.time")")
  buckets=$(qkv_buckets "$config.qkv-2x1")
  model_args+=("--step $config=$(awk -v t="$tokens" -v q="$q12" 'BEGIN { printf "%.1f", 1000 * t / q }')"
    "--jitter $config=$(printf '%s\n' "${cvs[@]}" | median)")
  if [ "$buckets" = 1 ]; then
    model_args+=("--overlap $config=0")
    hidden+=("$config: one bucket at the default size (the whole gradient fits in train.bucket_mb), so the allreduce starts after backward and nothing is hidden")
  elif [ ${#one_ms[@]} -gt 0 ]; then
    om=$(printf '%s\n' "${one_ms[@]}" | median)
    model_args+=("--overlap $config=$(awk -v om="$om" -v em="$em" 'BEGIN { f = (om > 0) ? 1 - em / om : 1; printf "%.2f", (f < 0) ? 0 : f }')")
    hidden+=("$(awk -v c="$config" -v om="$om" -v em="$em" -v b="$buckets" 'BEGIN {
      printf "%s: %.1f ms exposed with one bucket, %.1f with the default %d buckets: %s of the allreduce hidden", c, om, em, b,
        (om > 0) ? sprintf("%.0f%%", 100 * (1 - em / om)) : "n/a (nothing to hide)" }')")
  fi
done

echo "| config | qkv 1x2 tok/s | qkv 2x1 tok/s | 2x1 / 1x2 | PyTorch DDP 2x1 tok/s | qkv 2x1 / PyTorch 2x1 | PyTorch 1x2 tok/s | peak RSS summed (qkv 2x1 / PyTorch 2x1) MiB | exposed allreduce ms/step (% of step) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "Targets: $(printf '%s; ' "${targets[@]}" | sed 's/; $//')"
if [ ${#spreads[@]} -gt 0 ]; then
  echo "Per round ($repeat rounds, alternating; RSS and exposed allreduce are medians too): $(printf '%s; ' "${spreads[@]}" | sed 's/; $//')"
fi
echo "qkv wall-clock tokens/s (metrics.csv elapsed_s over the timed steps but the last, all work between steps included): $(printf '%s; ' "${walls[@]}" | sed 's/; $//')"
[ ${#hidden[@]} -eq 0 ] || echo "Overlap (qkv 2x1, train.bucket_mb=1024 against the default $(sed -n 's/.*the others \([0-9.]* [KMG]iB\)).*/\1/p' "$out/${configs[0]}.qkv-2x1.log" | head -1)): $(printf '%s; ' "${hidden[@]}" | sed 's/; $//')"
echo "CPU share per process, last round (/usr/bin/time; 100% = one core busy; PyTorch's includes its ranks): $(printf '%s; ' "${cpus[@]}" | sed 's/; $//')"
echo "Inputs for docs/scaling.md (qkv 1x2's median step in ms, its steps' standard deviation / mean, the share of the allreduce hidden):" \
  "python3 bench/scaling_model.py ${model_args[*]}"
echo "Models: $(printf '%s; ' "${shapes[@]}" | sed 's/; $//')"
cpu=$(lscpu | awk -F: '/^CPU family/ { f = $2 } /^Model:/ { m = $2 } /^Model name/ { n = $2 }
  END { gsub(/^ +/, "", f); gsub(/^ +/, "", m); gsub(/^ +/, "", n); printf "%s (family %s, model %s)", n, f, m }')
echo "Environment: $cpu, $(nproc) cores; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset};" \
  "$("$mpirun" --version 2>/dev/null | head -1); torch $("$python" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
echo "warmup $warmup, steps $steps (median step), $repeat round(s); load average $load at start; $(date -u '+%Y-%m-%d %H:%M UTC');" \
  "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified tree)');" \
  "raw results in $out"
