#!/usr/bin/env bash
# Prints the gzipped size of the page's first load (the files at the top of
# dist/), against the 120 KB budget; what loads later (dist/face/, the face
# check, fetched when a portrait is chosen) is counted apart. Usage: scripts/size.sh [dir]
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
done < <(find "$DIR" -maxdepth 1 -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -print0 | sort -z)
printf '%-50s %10s %10d  (%s KB of a %d KB budget)\n' TOTAL "" "$total" "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')" "$BUDGET_KB"
if [ -d "$DIR/face" ]; then
  later=0
  while IFS= read -r -d '' f; do later=$((later + $(gzip -9 -c "$f" | wc -c))); done < <(find "$DIR/face" -type f -print0)
  printf '%-50s %10s %10d  (loaded when a portrait is chosen, not in the first load)
' "face/ (face check)" "" "$later"
fi
