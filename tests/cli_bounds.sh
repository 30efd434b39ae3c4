#!/usr/bin/env bash
# Nothing crashes where a clean error is promised (issue 15): sizes past their caps or
# past the machine's memory, files that are not regular files, numbers that are NaN, inf
# or out of range, parse errors and output folders that cannot be made. Each is one line
# `qkv: error: ...` on stderr, exit 2, within 5 s, and leaves existing files as they were.
# Usage: cli_bounds.sh QKV_BINARY
set -u
qkv=$(realpath "$1")  # absolute: the test runs in its scratch folder
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'chmod -R u+w "$dir"; rm -rf "$dir"' EXIT
cd "$dir" || exit 1  # a stray output lands here, not in the caller's folder
source "$here/tiny_run.sh"
source "$here/expect_error.sh"

make_tiny_run "$dir" 16 "max_iters = 2
eval_interval = 2
checkpoint_interval = 2"
"$qkv" train --config "$dir/tiny.toml" --quiet > /dev/null || { echo "FAIL: the tiny run itself failed"; exit 1; }
ckpt="$dir/run/ckpt-000002.h5"
echo "not a folder" > "$dir/file.txt"
snapshot() { (cd "$dir" && find run file.txt tiny.toml corpus.txt -type f | sort | xargs sha256sum); }
before=$(snapshot)
train=("$qkv" train --config "$dir/tiny.toml")

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

if [[ "$(snapshot)" != "$before" ]]; then
  echo "FAIL: an existing file changed"
  failures=$((failures + 1))
fi
[[ ! -e "$dir/study" ]] || { echo "FAIL: a refused study made its folder"; failures=$((failures + 1)); }
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
