#!/usr/bin/env bash
# The bad-input table (issue 15): every class of bad input, with the real command line, in a
# scratch folder that holds a previous run. Each case must give one line `qkv: error: ...`
# on stderr naming the thing and what was expected, exit 2, within 5 s; at the end every
# file that existed before is byte-identical.
# Usage: cli_bad_inputs.sh QKV_BINARY FIXTURES_DIR
set -u
qkv=$(realpath "$1") fixtures=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'chmod -R u+w "$dir"; rm -rf "$dir"' EXIT
cd "$dir" || exit 1  # a stray output lands here, not in the caller's folder
source "$here/tiny_run.sh"
source "$here/expect_error.sh"

make_tiny_run "$dir" 16 "max_iters = 4
batch_size = 4
eval_interval = 2
checkpoint_interval = 2"
"$qkv" train --config "$dir/tiny.toml" --quiet > /dev/null || { echo "FAIL: the tiny run itself failed"; exit 1; }
ckpt="$dir/run/ckpt-000002.h5"
echo "not a folder" > "$dir/file.txt"
snapshot() { (cd "$dir" && find run file.txt tiny.toml corpus.txt -type f | sort | xargs sha256sum); }
before=$(snapshot)
train=("$qkv" train --config "$dir/tiny.toml")

# Config, corpus and checkpoint format errors.
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

# Sizes: capped in the config table (no count can overflow int64), and a config within the
# caps but beyond this machine's memory refused from its numbers before anything is built.
expect_error "n_embd past its cap" "config: model.n_embd must be in \[1, 65536\], got 1000000" "${train[@]}" --set model.n_embd=1000000
expect_error "batch_size past its cap" "config: train.batch_size must be in \[1, 1048576\], got 1000000000" \
  "${train[@]}" --set train.batch_size=1000000000
expect_error "n_layer 2^63-1" "config: model.n_layer must be in \[1, 1024\], got 9223372036854775807" \
  "${train[@]}" --set model.n_layer=9223372036854775807
expect_error "mlp_hidden negative" "config: model.mlp_hidden must be in \[0, 1048576\] (0 means 4 x n_embd), got -1" \
  "${train[@]}" --set model.mlp_hidden=-1
expect_error "ablate: weights beyond memory" "ablate: variant full: this config needs about .* more than the .* available; lower model.n_embd" \
  "$qkv" ablate --config "$dir/tiny.toml" --variants full --seeds 1 --dry-run --set model.n_embd=16384 --set model.n_layer=64 \
  --set model.n_head=64
expect_error "ablate: a batch beyond memory" "ablate: variant full: this config needs about .* activations .* for one batch of 1000000 x 4096.* lower train.batch_size" \
  "$qkv" ablate --config "$dir/tiny.toml" --variants full --seeds 1 --out "$dir/study" --set train.batch_size=1000000 \
  --set model.block_size=4096
expect_error "translate --beam 100000" "translate: --beam must be in \[1, 64\], got 100000" \
  "$qkv" translate --checkpoint "$ckpt" --beam 100000
expect_error "translate --batch-size 10^9" "translate: --batch-size must be in \[1, 4096\], got 1000000000" \
  "$qkv" translate --checkpoint "$ckpt" --batch-size 1000000000
expect_error "sample --tokens 10^8" "sample: --tokens must be in \[0, 1000000\], got 100000000" \
  "$qkv" sample --checkpoint "$ckpt" --tokens 100000000

# Configs and corpora come from regular files only; a config is at most 1 MiB.
mkfifo "$dir/fifo"
head -c 2097152 /dev/zero | tr '\0' '#' > "$dir/big.toml"
expect_error "--config /dev/zero" "config: /dev/zero is a character device; expected a regular file" "$qkv" train --config /dev/zero
expect_error "--config a directory" "config: $dir is a directory; expected a regular file" "$qkv" train --config "$dir"
expect_error "--config a FIFO" "config: $dir/fifo is a FIFO; expected a regular file" "$qkv" train --config "$dir/fifo"
expect_error "--config of 2 MiB" "config: $dir/big.toml is 2 MiB; expected a file of at most 1 MiB" "$qkv" train --config "$dir/big.toml"
expect_error "ablate --config /dev/zero" "config: /dev/zero is a character device; expected a regular file" \
  "$qkv" ablate --config /dev/zero --dry-run
expect_error "corpus /dev/zero" "corpus: /dev/zero is a character device; expected a regular file" \
  "${train[@]}" --set 'data.corpus="/dev/zero"' --set "train.out=\"$dir/other\""
expect_error "corpus a FIFO" "corpus: $dir/fifo is a FIFO; expected a regular file" \
  "${train[@]}" --set "data.corpus=\"$dir/fifo\"" --set "train.out=\"$dir/other\""

# The argument parser: one line with readable bounds; --help still prints help, exit 0.
expect_error "sample --tokens -5" "^qkv: error: sample: --tokens must be in \[0, 1000000\], got -5$" \
  "$qkv" sample --checkpoint "$ckpt" --tokens -5
expect_error "translate --beam 0" "^qkv: error: translate: --beam must be in \[1, 64\], got 0$" "$qkv" translate --checkpoint "$ckpt" --beam 0
expect_error "--threads 0" "^qkv: error: --threads must be in \[1, 1024\], got 0$" "$qkv" --threads 0 train --config "$dir/tiny.toml"
expect_error "unknown command" "^qkv: error: unknown command 'nope' (expected one of data, train, " "$qkv" nope
expect_error "no command" "^qkv: error: a command is required: one of data, train, " "$qkv"
expect_error "missing option" "^qkv: error: sample: --checkpoint is required$" "$qkv" sample
expect_error "an option without its value" "^qkv: error: sample: --tokens needs a value$" "$qkv" sample --checkpoint "$ckpt" --tokens
expect_error "not a number" "^qkv: error: sample: --tokens must be an integer, got abc$" "$qkv" sample --checkpoint "$ckpt" --tokens abc
"$qkv" sample --help > "$dir/help.txt" 2>&1
help_rc=$?
if [[ $help_rc -eq 0 ]] && grep -q -- "--tokens" "$dir/help.txt"; then
  echo "ok   --help prints help, exit 0"
  passes=$((passes + 1))
else
  echo "FAIL --help: exit $help_rc"
  failures=$((failures + 1))
fi

# Accepted silently though wrong: negative, NaN and inf numbers.
expect_error "grad_clip -1" "config: optim.grad_clip must be >= 0 (0 turns clipping off), got -1" "${train[@]}" --set optim.grad_clip=-1
expect_error "grad_clip nan" "config: optim.grad_clip must be a finite number >= 0 (0 turns clipping off), got nan" \
  "${train[@]}" --set optim.grad_clip=nan
expect_error "grad_clip inf" "config: optim.grad_clip must be a finite number" "${train[@]}" --set optim.grad_clip=inf
expect_error "lr inf" "config: optim.lr must be a finite number > 0, got inf" "${train[@]}" --set optim.lr=inf
expect_error "weight_decay inf" "config: optim.weight_decay must be a finite number >= 0, got inf" "${train[@]}" --set optim.weight_decay=inf
for t in nan inf -inf; do
  expect_error "sample --temperature $t" "sample: --temperature must be a finite number >= 0, got $t" \
    "$qkv" sample --checkpoint "$ckpt" --temperature=$t
done
expect_error "sample --temperature -1" "sample: --temperature must be >= 0, got -1" "$qkv" sample --checkpoint "$ckpt" --temperature -1
expect_error "sample --top-k -1" "sample: --top-k must be >= 0, got -1" "$qkv" sample --checkpoint "$ckpt" --top-k -1
expect_error "translate --length-penalty nan" "translate: --length-penalty must be a finite number >= 0, got nan" \
  "$qkv" translate --checkpoint "$ckpt" --length-penalty nan
expect_error "eval --beam 65" "eval: --beam must be in \[1, 64\], got 65" "$qkv" eval --checkpoint "$ckpt" --beam 65

# Output folders: under a file, a file, empty; named in our own words before any work.
expect_error "train.out empty" "config: train.out is empty; expected a folder for the checkpoints" "${train[@]}" --set 'train.out=""'
expect_error "attn --out under a file" "attn: cannot create output folder $dir/file.txt/maps: Not a directory" \
  "$qkv" attn --checkpoint "$ckpt" --text "the cat" --out "$dir/file.txt/maps"
expect_error "attn --out a file" "attn: the output folder $dir/file.txt is a file; expected a folder" \
  "$qkv" attn --checkpoint "$ckpt" --text "the cat" --out "$dir/file.txt"
expect_error "attn --out empty" "attn: --out must not be empty" "$qkv" attn --checkpoint "$ckpt" --text "the cat" --out ""
expect_error "ablate --out under a file" "ablate: cannot create output folder $dir/file.txt/study: Not a directory" \
  "$qkv" ablate --config "$dir/tiny.toml" --quick --variants full --seeds 1 --out "$dir/file.txt/study"
expect_error "ablate --out empty" "ablate: --out must not be empty" "$qkv" ablate --config "$dir/tiny.toml" --out ""
# Read-only folders refuse only other users than root (root writes anyway).
if [[ $(id -u) -ne 0 ]]; then
  mkdir "$dir/readonly" && chmod 555 "$dir/readonly"
  expect_error "attn --out read-only" "attn: cannot create output folder $dir/readonly/maps: Permission denied" \
    "$qkv" attn --checkpoint "$ckpt" --text "the cat" --out "$dir/readonly/maps"
  expect_error "ablate --out read-only" "ablate: cannot write into output folder $dir/readonly: Permission denied" \
    "$qkv" ablate --config "$dir/tiny.toml" --quick --variants full --seeds 1 --out "$dir/readonly"
else
  echo "skip read-only output folders: running as root"
fi

# train's own output folder: beyond memory, under a file, empty.
expect_error "train: a batch beyond memory" "train: this config needs about .* lower train.batch_size" \
  "${train[@]}" --set train.batch_size=1000000 --set model.block_size=4096 --set "train.out=\"$dir/other\""
expect_error "train --out under a file" "train: cannot create output folder $dir/file.txt/run: Not a directory" \
  "${train[@]}" --out "$dir/file.txt/run"
expect_error "train --out empty" "train: --out must not be empty" "${train[@]}" --out ""

# A diverging run stops before it saves a non-finite state; the checkpoint its error names
# is finite and loads.
expect_error "a diverging run" "the last good checkpoint is $dir/diverged/ckpt-" "${train[@]}" --out "$dir/diverged" \
  --set optim.lr=1e30 --set optim.warmup_iters=0 --set optim.grad_clip=0 --set train.checkpoint_interval=1 --set train.max_iters=50
named=$(grep -o "last good checkpoint is [^ ]*" "$dir/err.txt" | sed 's/.* is //')
if [[ -n "$named" ]] && "$qkv" sample --checkpoint "$named" --tokens 2 > /dev/null 2> "$dir/load.txt"; then
  echo "ok   the named checkpoint loads: $(basename "$named")"
  passes=$((passes + 1))
else
  echo "FAIL the checkpoint named after divergence ($named) does not load: $(cat "$dir/load.txt" 2> /dev/null)"
  failures=$((failures + 1))
fi

expect_error "an update that overflows" "train: params/.* is not finite after step 1 (expected finite values; .*); nothing saved" \
  "${train[@]}" --out "$dir/overflowed" --set optim.lr=3e38 --set optim.warmup_iters=0 --set optim.grad_clip=0 \
  --set train.checkpoint_interval=1
[[ -z "$(ls "$dir"/overflowed/*.h5* 2> /dev/null)" ]] || { echo "FAIL a non-finite checkpoint was written"; failures=$((failures + 1)); }

# A NAME.tmp left by a run killed while saving is removed when the folder is next used.
cp -r "$dir/run" "$dir/stale"
cp "$dir/stale/ckpt-000004.h5" "$dir/stale/ckpt-000006.h5.tmp"
"${train[@]}" --out "$dir/stale" --resume --set train.max_iters=5 > "$dir/stale.txt" 2>&1
if [[ ! -e "$dir/stale/ckpt-000006.h5.tmp" ]] && grep -q "removed .*ckpt-000006.h5.tmp" "$dir/stale.txt"; then
  echo "ok   a stale .tmp is removed, with a notice"
  passes=$((passes + 1))
else
  echo "FAIL stale .tmp: $(ls "$dir/stale"): $(cat "$dir/stale.txt")"
  failures=$((failures + 1))
fi

if [[ "$(snapshot)" != "$before" ]]; then
  echo "FAIL: an existing file changed"
  diff <(echo "$before") <(snapshot)
  failures=$((failures + 1))
fi
[[ ! -e "$dir/study" ]] || { echo "FAIL: a refused study made its folder"; failures=$((failures + 1)); }
[[ ! -e "$dir/other" ]] || { echo "FAIL: a refused run made its output folder"; failures=$((failures + 1)); }
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
