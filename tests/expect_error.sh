# Sourced by the command-line error tests. expect_error NAME PATTERN COMMAND... runs the
# command (killed after 10 s) and passes when it exits 2 within 5 s with exactly one line
# on stderr matching PATTERN (grep). Needs $dir (a scratch folder); counts into $passes
# and $failures.
passes=0 failures=0
expect_error() {
  local name=$1 pattern=$2
  shift 2
  local start=$SECONDS
  timeout 10 "$@" > "$dir/out.txt" 2> "$dir/err.txt" < /dev/null
  local rc=$? took=$((SECONDS - start)) lines
  lines=$(wc -l < "$dir/err.txt")
  if [[ $rc -ne 2 || $lines -ne 1 || $took -ge 5 ]] || ! grep -q -- "$pattern" "$dir/err.txt"; then
    echo "FAIL $name: exit $rc after ${took} s, $lines stderr lines, expected exit 2 within 5 s and one line matching '$pattern':"
    head -c 2000 "$dir/err.txt"
    failures=$((failures + 1))
  else
    echo "ok   $name: $(cat "$dir/err.txt")"
    passes=$((passes + 1))
  fi
}
