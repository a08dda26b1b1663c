#!/usr/bin/env bash
# Prints the gzipped size of everything the page ships (dist/), against the
# 120 KB budget. Usage: scripts/size.sh [dir]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-dist}
BUDGET_KB=120
[ -d "$DIR" ] || { echo "no $DIR/: build first (trunk build --release)" >&2; exit 1; }
total=0
printf '%-50s %10s %10s\n' file bytes gzipped
while IFS= read -r -d '' f; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + gz))
  printf '%-50s %10d %10d\n' "${f#"$DIR"/}" "$raw" "$gz"
done < <(find "$DIR" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -print0 | sort -z)
printf '%-50s %10s %10d  (%s KB of a %d KB budget)\n' TOTAL "" "$total" "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')" "$BUDGET_KB"
