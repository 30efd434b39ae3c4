# The translation commands from the outside: qkv train on sentence pairs (model.kind =
# seq2seq), translate (greedy and beam), eval (loss, BLEU, chrF), attn (encoder and
# cross-attention maps), ablate --task translation, and the wrong kind of checkpoint
# for a command.
# Usage: cli_translate.sh QKV
set -u
QKV=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/tiny_run.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

make_tiny_pairs "$dir"
cat > "$dir/s2s.toml" <<TOML
[data]
corpus = "$dir/pairs"
tokenizer = "bpe"
vocab_size = 300
[model]
kind = "seq2seq"
n_layer = 1
n_head = 2
n_embd = 32
block_size = 24
[train]
max_iters = 300
batch_size = 16
eval_interval = 100
eval_iters = 2
checkpoint_interval = 300
out = "$dir/run"
[optim]
lr = 3e-3
warmup_iters = 20
lr_decay_iters = 300
TOML

"$QKV" train --config "$dir/s2s.toml" > "$dir/train.txt" 2>&1
check "train seq2seq exits 0" test $? -eq 0
check "train names the pairs" grep -q "pairs $dir/pairs (270 train / 30 val" "$dir/train.txt"
ckpt="$dir/run/ckpt-000300.h5"
check "checkpoint written" test -s "$ckpt"

printf 'three cat and five\nseven water and one\n' | "$QKV" translate --checkpoint "$ckpt" > "$dir/greedy.txt" 2> "$dir/translate.err"
check "translate exits 0" test $? -eq 0
check "translate: one line per input line" test "$(wc -l < "$dir/greedy.txt")" -eq 2
check "translate: the task is learnt" grep -qx "tres gato y cinco" "$dir/greedy.txt"
printf 'three cat and five\nseven water and one\n' | "$QKV" translate --checkpoint "$ckpt" --beam 3 > "$dir/beam.txt"
check "translate --beam 3: one line per input line" test "$(wc -l < "$dir/beam.txt")" -eq 2

"$QKV" eval --checkpoint "$ckpt" > "$dir/eval.txt" 2>&1
check "eval exits 0" test $? -eq 0
check "eval: loss and perplexity" grep -q "^perplexity " "$dir/eval.txt"
check "eval: BLEU with sacreBLEU's signature" grep -q "^BLEU = .*tok:13a|smooth:exp" "$dir/eval.txt"
check "eval: chrF" grep -q "^chrF = " "$dir/eval.txt"

"$QKV" attn --checkpoint "$ckpt" --text "three cat and five" --out "$dir/maps" > "$dir/attn.txt" 2>&1
check "attn on seq2seq exits 0" test $? -eq 0
check "attn prints the translation" grep -q "^translation: " "$dir/attn.txt"
for kind in encoder decoder cross; do
  check "attn: $kind attention maps" bash -c "ls '$dir/maps' | grep -q '^$kind-layer0-head1\.'"
done

# The wrong kind of checkpoint: a GPT for translate, a seq2seq model for sample.
make_tiny_run "$dir" 16 "max_iters = 2"
"$QKV" train --config "$dir/tiny.toml" --out "$dir/gpt-run" > /dev/null 2>&1
echo "the cat" | "$QKV" translate --checkpoint "$dir/gpt-run/ckpt-000002.h5" > /dev/null 2> "$dir/kind.txt"
check "translate with a GPT exits 2" test $? -eq 2
check "translate names the kind" grep -q "holds a GPT; expected a seq2seq" "$dir/kind.txt"
"$QKV" sample --checkpoint "$ckpt" > /dev/null 2> "$dir/kind2.txt"
check "sample with a seq2seq model exits 2" test $? -eq 2
check "sample names the kind" grep -q "holds a seq2seq (translation) model" "$dir/kind2.txt"

# A quick translation study: BLEU in the table.
"$QKV" ablate --config "$dir/s2s.toml" --task translation --quick --variants full,no_q --seeds 1 \
  --out "$dir/study" --quiet > "$dir/study.txt" 2>&1
check "ablate --task translation exits 0" test $? -eq 0
check "the table has BLEU and chrF" grep -q "| BLEU (mean ± std) | chrF |" "$dir/study/results.md"
check "both variants scored" test "$(grep -c '^| \(full\|no_q\) |' "$dir/study/results.md")" -eq 2
"$QKV" ablate --config "$dir/s2s.toml" --task lm --quick --dry-run > "$dir/task.txt" 2>&1
check "--task lm on a seq2seq config exits 2" test $? -eq 2
check "the error names the kind" grep -q "needs a gpt config" "$dir/task.txt"

if [ $fails -ne 0 ]; then
  echo "--- outputs"
  cat "$dir/train.txt" "$dir/translate.err" "$dir/eval.txt" "$dir/study.txt"
  exit 1
fi
echo "all checks passed"
