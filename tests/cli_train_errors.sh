#!/usr/bin/env bash
# Bad input to `qkv train/sample/eval`: each gives a one-line error naming the thing,
# exit code 2, and leaves every existing file as it was.
# Usage: cli_train_errors.sh QKV_BINARY FIXTURES_DIR
set -u
qkv=$1 fixtures=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0 passes=0

source "$(dirname "$0")/tiny_run.sh"
make_tiny_run "$dir" 16 "max_iters = 4
batch_size = 4
eval_interval = 2
checkpoint_interval = 2"

# expect_error NAME PATTERN COMMAND...: exit 2, exactly one line on stderr matching PATTERN.
expect_error() {
  local name=$1 pattern=$2
  shift 2
  "$@" > "$dir/out.txt" 2> "$dir/err.txt"
  local rc=$? lines
  lines=$(wc -l < "$dir/err.txt")
  if [[ $rc -ne 2 || $lines -ne 1 ]] || ! grep -q -- "$pattern" "$dir/err.txt"; then
    echo "FAIL $name: exit $rc, $lines stderr lines, expected one matching '$pattern':"
    cat "$dir/err.txt"
    failures=$((failures + 1))
  else
    echo "ok   $name: $(cat "$dir/err.txt")"
    passes=$((passes + 1))
  fi
}

snapshot() { (cd "$dir" && find run -type f 2>/dev/null | sort | xargs -r sha256sum); }

"$qkv" train --config "$dir/tiny.toml" --quiet > /dev/null || { echo "FAIL: the tiny run itself failed"; exit 1; }
before=$(snapshot)

printf '[model\nn_layer = 2\n' > "$dir/malformed.toml"
expect_error "malformed TOML" "malformed.toml:1:" "$qkv" train --config "$dir/malformed.toml"
printf '[model]\nn_layers = 2\n' > "$dir/unknown.toml"
expect_error "unknown key" "unknown key model.n_layers" "$qkv" train --config "$dir/unknown.toml"
expect_error "wrong type" "model.n_layer (from --set) must be an integer" "$qkv" train --config "$dir/tiny.toml" --set model.n_layer=two
expect_error "missing config" "cannot read $dir/none.toml" "$qkv" train --config "$dir/none.toml"
expect_error "seq2seq on a text corpus" "is a text corpus of one language; translation trains on sentence pairs" "$qkv" train --config "$dir/tiny.toml" --set model.kind=seq2seq --set data.corpus=kjv --set "train.out=\"$dir/other\""

ckpt=$(ls "$dir"/run/ckpt-*.h5 | tail -1)
head -c 3000 "$ckpt" > "$dir/truncated.h5"
expect_error "truncated checkpoint" "truncated.h5" "$qkv" sample --checkpoint "$dir/truncated.h5" --tokens 5
expect_error "foreign HDF5 file" "not a qkv checkpoint" "$qkv" sample --checkpoint "$fixtures/gpt.h5" --tokens 5
echo "not hdf5" > "$dir/text.h5"
expect_error "not an HDF5 file" "text.h5" "$qkv" eval --checkpoint "$dir/text.h5"
expect_error "missing checkpoint" "none.h5: no such file" "$qkv" sample --checkpoint "$dir/none.h5"
expect_error "resume with another model shape" "train: --resume: model.n_embd is 32 but the checkpoint .*ckpt-000004.h5 was trained with 16" \
  "$qkv" train --config "$dir/tiny.toml" --set model.n_embd=32 --set train.max_iters=8 --resume

: > "$dir/empty.txt"
expect_error "empty corpus" "empty.txt" "$qkv" train --config "$dir/tiny.toml" --set "data.corpus=\"$dir/empty.txt\"" --set "train.out=\"$dir/other\""
printf 'abc\xff\xfedef\n' > "$dir/latin.txt"
expect_error "non-UTF-8 corpus" "latin.txt" "$qkv" train --config "$dir/tiny.toml" --set "data.corpus=\"$dir/latin.txt\"" --set "train.out=\"$dir/other\""
expect_error "missing corpus" "missing.txt" "$qkv" train --config "$dir/tiny.toml" --set "data.corpus=\"$dir/missing.txt\"" --set "train.out=\"$dir/other\""

# Numbers outside their key's range stop before anything is read or written.
expect_error "eval_interval 0" "config: train.eval_interval must be >= 1, got 0" "$qkv" train --config "$dir/tiny.toml" --set train.eval_interval=0
expect_error "log_interval 0" "config: train.log_interval must be >= 1, got 0" "$qkv" train --config "$dir/tiny.toml" --set train.log_interval=0
expect_error "checkpoint_interval 0" "config: train.checkpoint_interval must be >= 1, got 0" "$qkv" train --config "$dir/tiny.toml" --set train.checkpoint_interval=0
expect_error "keep_checkpoints 0" "config: train.keep_checkpoints must be >= 1, got 0" "$qkv" train --config "$dir/tiny.toml" --set train.keep_checkpoints=0
expect_error "beta2 1" "config: optim.beta2 must be in \[0, 1), got 1" "$qkv" train --config "$dir/tiny.toml" --set optim.beta2=1.0
expect_error "min_lr above lr" "config: optim.min_lr must be <= optim.lr (0.001), got 0.01" "$qkv" train --config "$dir/tiny.toml" --set optim.min_lr=0.01
expect_error "unknown optimizer" "optim.name (from --set) must be one of adamw, adam, sgd, got \"lion\"" "$qkv" train --config "$dir/tiny.toml" --set optim.name=lion
# A standard-library exception (here std::filesystem's, the output folder under a file)
# is the same one line and exit 2, not an abort.
expect_error "std::exception" "qkv: error: .*tiny.toml/run" "$qkv" train --config "$dir/tiny.toml" --set "train.out=\"$dir/tiny.toml/run\""

# A second run into a folder that holds one is refused, saying how to go on; --overwrite
# deletes nothing until the config is valid and the model is built; --resume keeps the
# model, the data and the batch.
expect_error "new run into a run's folder" "train: the output folder $dir/run already holds a run (ckpt-000002.h5, ckpt-000004.h5, best.h5, ...); continue it with --resume, or start over with --overwrite" \
  "$qkv" train --config "$dir/tiny.toml"
expect_error "--overwrite with a missing corpus" "missing.txt" "$qkv" train --config "$dir/tiny.toml" --overwrite --set "data.corpus=\"$dir/missing.txt\""
expect_error "--overwrite with a zero interval" "train.eval_interval must be >= 1" "$qkv" train --config "$dir/tiny.toml" --overwrite --set train.eval_interval=0
expect_error "--resume and --overwrite together" "qkv: error: .*--overwrite" "$qkv" train --config "$dir/tiny.toml" --overwrite --resume
expect_error "--resume with another n_head" "train: --resume: model.n_head is 4 but the checkpoint .*ckpt-000004.h5 was trained with 2" \
  "$qkv" train --config "$dir/tiny.toml" --resume --set model.n_head=4 --set train.max_iters=8
expect_error "--resume with another tokenizer" "train: --resume: data.tokenizer is \"bpe\" but the checkpoint .* was trained with \"char\"" \
  "$qkv" train --config "$dir/tiny.toml" --resume --set data.tokenizer=bpe --set data.vocab_size=50 --set train.max_iters=8
expect_error "--resume with another batch" "train: --resume: train.batch_size is 8 but" \
  "$qkv" train --config "$dir/tiny.toml" --resume --set train.batch_size=8 --set train.max_iters=8

# Two runs into one folder: the second is refused and names the first one's pid.
"$qkv" train --config "$dir/tiny.toml" --set train.max_iters=1000000 --out "$dir/busy" --quiet > /dev/null 2>&1 &
busy=$!
for _ in $(seq 200); do [[ -s "$dir/busy/.qkv.lock" ]] && break; sleep 0.05; done
expect_error "a folder in use" "train: the output folder $dir/busy is in use by another qkv process (pid $busy)" \
  "$qkv" train --config "$dir/tiny.toml" --out "$dir/busy" --overwrite
kill -9 $busy
wait $busy 2> /dev/null

# A full disk (a file-size limit stands in for it) while a checkpoint is written: one
# line, exit 2 (not a crash in HDF5's teardown), and no NAME.tmp left behind.
expect_error "full disk" "qkv: error: checkpoint: .*full/.*h5" \
  bash -c 'ulimit -f 30; trap "" XFSZ; exec "$0" "$@"' "$qkv" train --config "$dir/tiny.toml" --out "$dir/full" --quiet
if ls "$dir"/full/*.tmp > /dev/null 2>&1; then
  echo "FAIL full disk: a .tmp file stayed: $(ls "$dir"/full)"
  failures=$((failures + 1))
fi

if [[ "$(snapshot)" != "$before" ]]; then
  echo "FAIL: an existing file in the run folder changed"
  failures=$((failures + 1))
fi
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
