#!/usr/bin/env bash
# Builds the face check's worker into the folder given (dist/face for the
# page, pkg/face for the package): the face finder's wasm (crates/face-finder),
# its worker script, and the detector model that ships in the rustface crate.
# The page fetches these only when a portrait is chosen. Assumes setup has run.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: build-face.sh OUT_DIR}"
source scripts/wasm-env.sh
source scripts/size-flags.sh
cargo build -q --release --target wasm32-unknown-unknown -p face-finder
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" target/wasm32-unknown-unknown/release/face_finder.wasm
wasm-opt -Oz "$out/face_finder_bg.wasm" -o "$out/face_finder_bg.wasm"
cp crates/face-finder/web/worker.js "$out/worker.js"
rustface=$(cargo metadata --format-version 1 | python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "rustface"))')
cp "$(dirname "$rustface")/model/seeta_fd_frontal_v1.0.bin" "$out/"
printf 'face check in %s: ' "$out"
for f in face_finder_bg.wasm face_finder.js worker.js seeta_fd_frontal_v1.0.bin; do
  printf '%s %d B gzipped  ' "$f" "$(gzip -9 -c "$out/$f" | wc -c)"
done
echo
