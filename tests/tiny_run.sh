# Sourced by the command-line tests. make_tiny_run DIR N_EMBD EXTRA_TRAIN_TOML writes a
# small corpus DIR/corpus.txt and a config DIR/tiny.toml for a 1-layer model on it,
# with its output folder DIR/run.
make_tiny_run() {
  local dir=$1 n_embd=$2 extra=$3
  for i in $(seq 300); do echo "the cat sat on the mat $((i % 7)) times."; done > "$dir/corpus.txt"
  cat > "$dir/tiny.toml" <<TOML
[data]
corpus = "$dir/corpus.txt"
[model]
n_layer = 1
n_head = 2
n_embd = $n_embd
block_size = $n_embd
[train]
eval_iters = 2
out = "$dir/run"
$extra
TOML
}

# make_tiny_pairs DIR: a made-up translation task, "<number> <noun> and <number>" -> Spanish,
# 300 pairs in DIR/pairs/train.tsv and DIR/pairs/val.tsv (every tenth pair).
make_tiny_pairs() {
  local dir=$1 i a b n line
  local en=(one two three four five six seven) es=(uno dos tres cuatro cinco seis siete)
  local en_noun=(cat dog house bread water) es_noun=(gato perro casa pan agua)
  mkdir -p "$dir/pairs"
  for i in $(seq 0 299); do
    a=$((i % 7)) b=$((i / 7 % 7)) n=$((i % 5))
    line="${en[a]} ${en_noun[n]} and ${en[b]}	${es[a]} ${es_noun[n]} y ${es[b]}"
    if [ $((i % 10)) -eq 9 ]; then echo "$line" >> "$dir/pairs/val.tsv"; else echo "$line" >> "$dir/pairs/train.tsv"; fi
  done
}

# check DESCRIPTION COMMAND...: runs the command, prints ok/FAIL, counts failures in $fails.
fails=0
check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
