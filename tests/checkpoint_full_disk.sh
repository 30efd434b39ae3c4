#!/usr/bin/env bash
# save_checkpoint on a full disk, simulated with `ulimit -f`: with SIGXFSZ ignored, a write
# past the limit fails with EFBIG ("File too large") as one on a full disk fails with
# ENOSPC. For limits that stop the write at several points, the save must be a clean
# qkv::Error (exit 1, not a signal: HDF5 1.10 used to crash at exit after a failed close)
# naming the file and the reason, leave no NAME.tmp, and leave the checkpoint already at
# NAME byte for byte as it was.
# Usage: checkpoint_full_disk.sh CHECKPOINT_WRITE (tests/tools/checkpoint_write.cpp)
set -u
tool=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

ckpt=$dir/ckpt-000004.h5
"$tool" "$ckpt" 40 256 || fail "saving without a limit failed"
cp "$ckpt" "$dir/before.h5"
size_kb=$(( $(stat -c %s "$ckpt") / 1024 ))

# N_TENSORS FLOATS_EACH LIMIT_KB: a save that cannot fit under the limit.
save_under_limit() {
  ( ulimit -f "$3"; trap '' XFSZ; exec "$tool" "$ckpt" "$1" "$2" ) 2>"$dir/err"
  local rc=$?
  local what="$1 x $2 floats under a ${3} KiB limit"
  [[ $rc -eq 1 ]] || fail "$what: exit $rc, expected 1 (a qkv::Error): $(cat "$dir/err")"
  grep -q "checkpoint: cannot write $ckpt: .*File too large" "$dir/err" ||
    fail "$what: the error does not name the file and the reason: $(cat "$dir/err")"
  [[ ! -e $ckpt.tmp ]] || fail "$what: $ckpt.tmp was left behind"
  cmp -s "$ckpt" "$dir/before.h5" || fail "$what: the previous checkpoint changed"
}
for kb in 1 4 16 32 $((size_kb - 1)) $size_kb; do save_under_limit 41 256 "$kb"; done
save_under_limit 4 1000000 1024  # one tensor alone larger than the limit
echo "message: $(cat "$dir/err")"

"$tool" "$ckpt" 41 256 || fail "saving without a limit failed after the failures"
cmp -s "$ckpt" "$dir/before.h5" && fail "the save without a limit did not replace the file"
echo "all checks passed"
