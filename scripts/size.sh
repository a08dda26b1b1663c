#!/usr/bin/env bash
# Prints the gzipped size of the page's first load against the 120 KB budget:
# the files at the top of dist/, its style/, and the wasm, its loader and the
# chunk loader in dist/pkg/. Counted apart: the wasm chunks in dist/pkg/ (each fetched the
# first time its part of the studio is shown) and dist/face/ (the face check,
# fetched when a portrait is chosen).
# Two figures per file: `gzip -9`, and what is sent, the gzip copy beside the
# file that scripts/precompress.sh made (zopfli) and the stand-in serves; a
# file without one is counted at `gzip -9`. The budget is checked on what is sent.
# Usage: scripts/size.sh [dir]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-dist}
BUDGET_KB=120
[ -d "$DIR" ] || { echo "no $DIR/: build first (bash scripts/build.sh)" >&2; exit 1; }
gz() { gzip -9 -c "$1" | wc -c; }
sent() { if [ -f "$1.gz" ]; then stat -c %s "$1.gz"; else gz "$1"; fi; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
total=0
total_gz=0
printf '%-50s %10s %10s %10s\n' file bytes 'gzip -9' sent
while IFS= read -r -d '' f; do
  size=$(sent "$f")
  plain=$(gz "$f")
  total=$((total + size))
  total_gz=$((total_gz + plain))
  printf '%-50s %10d %10d %10d\n' "${f#"$DIR"/}" "$(stat -c %s "$f")" "$plain" "$size"
done < <(find "$DIR" -maxdepth 1 -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -print0 | sort -z;
         find "$DIR/style" "$DIR/pkg" -maxdepth 1 -type f ! -name '*.gz' \( -name '*.css' -o -name 'studio*' -o -name '__wasm_split.js' \) -print0 2>/dev/null | sort -z)
printf '%-50s %10s %10d %10d  (%s KB sent of a %d KB budget; %s KB at gzip -9)\n' TOTAL "" "$total_gz" "$total" "$(kb "$total")" "$BUDGET_KB" "$(kb "$total_gz")"
later=0
while IFS= read -r -d '' f; do
  size=$(sent "$f")
  later=$((later + size))
  printf '%-50s %10d %10d %10d  (fetched when its part is first shown)\n' "${f#"$DIR"/}" "$(stat -c %s "$f")" "$(gz "$f")" "$size"
done < <(find "$DIR/pkg" -maxdepth 1 -type f -name '*.wasm' ! -name 'studio*' -print0 2>/dev/null | sort -z)
printf '%-50s %10s %10d  (all chunks sent, not in the first load)\n' "chunks" "" "$later"
if [ -d "$DIR/face" ]; then
  face=0
  while IFS= read -r -d '' f; do face=$((face + $(sent "$f"))); done < <(find "$DIR/face" -type f ! -name '*.gz' -print0)
  printf '%-50s %10s %10d  (sent when a portrait is chosen, not in the first load)\n' "face/ (face check)" "" "$face"
fi
