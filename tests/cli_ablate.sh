# qkv ablate and qkv attn from the outside: a quick study and its report, a rerun that
# trains nothing, user variants from [ablate], an impossible variant refused before any
# folder exists, heatmaps (PNG, or CSV without gnuplot), and usage errors.
# Usage: cli_ablate.sh QKV
set -u
QKV=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/tiny_run.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

make_tiny_run "$dir" 16 ""
study="$dir/study"
"$QKV" ablate --config "$dir/tiny.toml" --quick --variants full,no_q,no_o --seeds 1 --match params \
  --out "$study" --quiet > "$dir/out.txt" 2>&1
check "quick study exits 0" test $? -eq 0
check "results.csv: header and 3 variants" test "$(wc -l < "$study/results.csv")" -eq 4
for v in full no_q no_o; do
  check "results.md has $v" grep -q "^| $v |" "$study/results.md"
  check "$v has a finished run" test -f "$study/$v/seed0/ckpt-000030.h5"
done
check "no NaN losses" bash -c "! grep -qi nan '$study/results.csv'"
if command -v gnuplot > /dev/null; then
  check "loss curves drawn" test -s "$study/loss_curves.png"
  check "attention maps drawn" test -s "$study/no_q/attn/layer0-head1.png"
  check "forest plot drawn" test -s "$study/results.png"
  check "results.md shows the forest plot" grep -q "(results.png)" "$study/results.md"
  rm "$study/results.png"
  "$QKV" ablate --redraw "$study" > "$dir/redraw.txt" 2>&1
  check "--redraw draws results.png from runs.csv" test -s "$study/results.png"
fi

"$QKV" ablate --config "$dir/tiny.toml" --quick --variants full,no_q,no_o --seeds 1 --match params \
  --out "$study" --quiet > "$dir/again.txt" 2>&1
check "rerun exits 0" test $? -eq 0
check "rerun trains nothing" grep -q "0 trained, 0 resumed, 3 finished before" "$dir/again.txt"

# Without gnuplot the report is the CSV files, and results.md says so.
env PATH=/nonexistent "$QKV" ablate --config "$dir/tiny.toml" --quick --variants full,no_q,no_o --seeds 1 \
  --match params --out "$study" --quiet > "$dir/plain.txt" 2>&1
check "rerun without gnuplot exits 0" test $? -eq 0
check "results.md: no forest plot without gnuplot" grep -q "gnuplot was not found: no picture of the differences" \
  "$study/results.md"
check "results.csv keeps the differences" grep -q "^no_q,.*,.*" "$study/results.csv"

# Variants of one's own, and the study's defaults, from the config's [ablate] section.
cat "$dir/tiny.toml" > "$dir/study.toml"
cat >> "$dir/study.toml" << 'TOML'
[ablate]
study = ["full", "no_qk"]
seeds = 2
[ablate.variants]
no_qk = ["attention.q_proj=false", "attention.k_proj=false"]
TOML
"$QKV" ablate --config "$dir/study.toml" --quick --dry-run --out "$dir/user" > "$dir/plan.txt" 2>&1
check "dry run exits 0" test $? -eq 0
check "plan: 2 variants x 2 seeds" grep -q "2 variants x 2 seeds = 4 runs" "$dir/plan.txt"
check "plan lists the user variant" grep -q "no_qk .*attention.q_proj=false attention.k_proj=false" "$dir/plan.txt"
check "dry run trains nothing" test ! -e "$dir/user"

# An impossible variant: refused with the reason, exit 2, no folder made.
"$QKV" ablate --config "$dir/tiny.toml" --quick --variants full,bilinear_qk --set model.positions=rope \
  --out "$dir/bad" > "$dir/bad.txt" 2>&1
check "impossible variant exits 2" test $? -eq 2
check "the reason names the variant and rope" grep -q "variant bilinear_qk .*impossible.*rope" "$dir/bad.txt"
check "no study folder" test ! -e "$dir/bad"

"$QKV" ablate --config "$dir/tiny.toml" --task translation > /dev/null 2>&1
check "--task translation on a GPT config is a usage error" test $? -eq 2
"$QKV" ablate --config "$dir/tiny.toml" --match size > /dev/null 2>&1
check "--match size is a usage error" test $? -eq 2
check "--list names the variants" bash -c "'$QKV' ablate --list | grep -q 'additive .*attention.score=additive'"

# qkv attn: every layer and head of a checkpoint.
ckpt="$study/full/seed0/ckpt-000030.h5"
"$QKV" attn --checkpoint "$ckpt" --text "the cat sat" --out "$dir/maps" > "$dir/attn.txt" 2>&1
check "attn exits 0" test $? -eq 0
if command -v gnuplot > /dev/null; then
  check "attn: head 0 PNG" test -s "$dir/maps/layer0-head0.png"
  check "attn: head 1 PNG" test -s "$dir/maps/layer0-head1.png"
fi
env PATH=/nonexistent "$QKV" attn --checkpoint "$ckpt" --text "the cat sat" --out "$dir/csv" > "$dir/csv.txt" 2>&1
check "attn without gnuplot exits 0" test $? -eq 0
check "attn without gnuplot says so" grep -q "gnuplot not found" "$dir/csv.txt"
check "attn without gnuplot: CSV with the tokens" grep -q "^query\\\\key,t,h,e,·,c" "$dir/csv/layer0-head0.csv"
"$QKV" attn --checkpoint "$ckpt" --text "the cat" --layer 3 --out "$dir/maps" > "$dir/layer.txt" 2>&1
check "attn: a missing layer exits 2" test $? -eq 2
check "attn: the error names the layer count" grep -q "layer 3 does not exist (the model has 1 layers)" "$dir/layer.txt"

if [ $fails -ne 0 ]; then
  echo "--- last outputs"
  cat "$dir/out.txt" "$dir/bad.txt" "$dir/attn.txt"
  exit 1
fi
echo "all checks passed"
