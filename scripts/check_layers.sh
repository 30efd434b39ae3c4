#!/usr/bin/env bash
# The layer rule of docs/design.md section 1, checked: a folder includes only itself and
# the folders below it, so no dependency points up. Prints every include that breaks the
# rule and exits 1 when there is one. Run by ctest (layer_rule).
set -euo pipefail
cd "$(dirname "$0")/.."
# The layers, lowest first; folders in one layer may not include each other.
layers=("base" "cpu" "autograd" "nn optim data dist" "io checks" "config" "infer" "eval" "train" "study" "cli")
declare -A rank
for i in "${!layers[@]}"; do for f in ${layers[$i]}; do rank[$f]=$i; done; done
bad=0
for folder in "${!rank[@]}"; do
  while IFS=: read -r file target; do
    dep=${target%%/*}
    [[ -n ${rank[$dep]+x} ]] || continue           # a system or test-local header
    [[ $dep == "$folder" ]] && continue
    if (( rank[$dep] >= rank[$folder] )); then
      echo "layer rule: $file includes $target ($dep is not below $folder)"
      bad=1
    fi
  done < <(grep -rHo --include='*.h' --include='*.cpp' '#include "[^"]*"' "$folder" | sed 's/#include "\(.*\)"/\1/')
done
(( bad == 0 )) && echo "layer rule: every include points down"
exit $bad
