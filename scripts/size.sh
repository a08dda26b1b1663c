#!/usr/bin/env bash
# Prints the gzipped size of the page's first load against the 120 KB budget:
# the files at the top of dist/, its style/, and the wasm, its loader and the
# chunk loader in dist/pkg/. Counted apart: the wasm chunks in dist/pkg/ (each fetched the
# first time its part of the studio is shown) and dist/face/ (the face check,
# fetched when a portrait is chosen). Usage: scripts/size.sh [dir]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-dist}
BUDGET_KB=120
[ -d "$DIR" ] || { echo "no $DIR/: build first (bash scripts/build.sh)" >&2; exit 1; }
gz() { gzip -9 -c "$1" | wc -c; }
total=0
printf '%-50s %10s %10s\n' file bytes gzipped
while IFS= read -r -d '' f; do
  raw=$(stat -c %s "$f")
  size=$(gz "$f")
  total=$((total + size))
  printf '%-50s %10d %10d\n' "${f#"$DIR"/}" "$raw" "$size"
done < <(find "$DIR" -maxdepth 1 -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -print0 | sort -z;
         find "$DIR/style" "$DIR/pkg" -maxdepth 1 -type f \( -name '*.css' -o -name 'studio*' -o -name '__wasm_split.js' \) -print0 2>/dev/null | sort -z)
printf '%-50s %10s %10d  (%s KB of a %d KB budget)\n' TOTAL "" "$total" "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')" "$BUDGET_KB"
later=0
while IFS= read -r -d '' f; do
  size=$(gz "$f")
  later=$((later + size))
  printf '%-50s %10d %10d  (fetched when its part is first shown)\n' "${f#"$DIR"/}" "$(stat -c %s "$f")" "$size"
done < <(find "$DIR/pkg" -maxdepth 1 -type f -name '*.wasm' ! -name 'studio*' -print0 2>/dev/null | sort -z)
printf '%-50s %10s %10d  (all chunks, not in the first load)\n' "chunks" "" "$later"
if [ -d "$DIR/face" ]; then
  face=0
  while IFS= read -r -d '' f; do face=$((face + $(gz "$f"))); done < <(find "$DIR/face" -type f -print0)
  printf '%-50s %10s %10d  (loaded when a portrait is chosen, not in the first load)\n' "face/ (face check)" "" "$face"
fi
