#!/bin/sh
# PyTorch interop: qkv trains a tiny GPT for a few steps, scripts/torch_gpt.py rebuilds it in
# PyTorch from the checkpoint alone (config, tokenizer, every parameter by name) and must
# report the validation loss qkv wrote to metrics.csv, on the same batches, within 1e-4.
# Two models: gpt-tiny's (no biases, head tied to wte) and one with biases and an untied head.
# Usage: test_torch_gpt_interop.sh PATH/TO/qkv
set -eu
QKV=$1
SCRIPT=$(cd "$(dirname "$0")/.." && pwd)/scripts/torch_gpt.py
CONFIG=$(cd "$(dirname "$0")/.." && pwd)/configs/gpt-tiny.toml
PYTHON=/usr/bin/python3

if ! "$PYTHON" -c "import torch, h5py" 2>/dev/null; then
  echo "skipped: $PYTHON cannot import torch and h5py (apt install python3-torch python3-h5py)"
  exit 0
fi
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT

# A small corpus: the last 10% of its characters is the validation split.
i=0
while [ $i -lt 150 ]; do
  echo "verse $i: and the $((i % 7)) lamps gave light over against the candlestick, $((i * 31 % 97)) times."
  i=$((i + 1))
done > "$DIR/text.txt"

check_model() {  # NAME, then extra --set overrides
  name=$1
  shift
  out="$DIR/$name"
  "$QKV" --threads 2 train --config "$CONFIG" --out "$out" \
    --set "data.corpus=\"$DIR/text.txt\"" --set model.n_layer=1 --set model.n_head=2 --set model.n_embd=16 \
    --set model.block_size=16 --set train.batch_size=4 --set train.max_iters=10 --set train.eval_iters=2 \
    --set train.eval_interval=10 --set train.checkpoint_interval=10 --set optim.warmup_iters=2 \
    --set optim.lr_decay_iters=10 "$@" > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
  qkv_loss=$(awk -F, '$1 == 10 { print $3 }' "$out/metrics.csv")
  torch_out=$("$PYTHON" "$SCRIPT" eval --checkpoint "$out/ckpt-000010.h5")
  echo "$torch_out"
  torch_loss=$(echo "$torch_out" | sed -n 's/^step 10: val loss \([0-9.]*\) .*/\1/p')
  echo "$torch_out" | grep -q "reproduces the checkpoint's state" || { echo "FAIL ($name): data generator differs"; exit 1; }
  if awk -v a="$qkv_loss" -v b="$torch_loss" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d <= 1e-4 && d >= -1e-4) }'; then
    echo "ok ($name): qkv val loss $qkv_loss, PyTorch $torch_loss"
  else
    echo "FAIL ($name): qkv val loss '$qkv_loss', PyTorch '$torch_loss' (must agree within 1e-4)"
    exit 1
  fi
}

check_model tied_no_bias
check_model untied_bias --set model.bias=true --set model.tie_embeddings=false
