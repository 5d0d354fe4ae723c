#!/usr/bin/env bash
# Lists the imports between the top-level folders of src/ (`use crate::…` and
# `crate::…` paths outside comments) and checks that they run one way: a
# folder uses only folders before it in ORDER. Prints the pairs; exits 1 on
# an import that runs backwards. Usage: tools/imports.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORDER=(rng image archive audio forward denoise gpu backend diffusion web)
rank() { local i; for i in "${!ORDER[@]}"; do [ "${ORDER[$i]}" = "$1" ] && echo "$i" && return; done; echo -1; }
bad=0
while read -r from to; do
  f=$(rank "$from"); t=$(rank "$to")
  if [ "$t" -ge "$f" ]; then echo "backwards: $from -> $to"; bad=1; else echo "$from -> $to"; fi
done < <(for d in "${ORDER[@]}"; do
  files=$(ls "src/$d.rs" "src/$d"/*.rs "src/$d"/*/*.rs 2>/dev/null || true)
  [ -n "$files" ] || continue
  # Code lines only (doc comments and comments are not imports).
  grep -h -v '^\s*//' $files | grep -o 'crate::[a-z_]*' | sed 's/crate:://' | sort -u | grep -vx "$d" | sed "s/^/$d /" || true
done)
exit $bad
