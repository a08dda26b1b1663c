#!/usr/bin/env bash
# Builds the JS-importable package into pkg/ (ES module + .wasm + .d.ts +
# package.json), usable with <script type="module"> and no bundler, or from
# a bundler. Prints its gzipped size. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
source scripts/size-flags.sh
cargo build -q --release --lib --target wasm32-unknown-unknown --features js-api
rm -rf pkg && mkdir -p pkg
wasm-bindgen --target web --out-dir pkg --out-name talking_head_studio \
  target/wasm32-unknown-unknown/release/talking_head_studio.wasm
wasm-opt -Oz pkg/talking_head_studio_bg.wasm -o pkg/talking_head_studio_bg.wasm
# The face check beside the package (mount() fetches it once a portrait is shown).
bash scripts/build-face.sh pkg/face
version=$(awk -F'"' '/^version = /{print $2; exit}' Cargo.toml)
cat > pkg/package.json <<JSON
{
  "name": "talking-head-studio",
  "version": "$version",
  "description": "Talking-head videos from a portrait and a voice clip (SadTalker on Segmind): validate, generate, request as code, and a mountable studio.",
  "license": "MIT",
  "type": "module",
  "main": "talking_head_studio.js",
  "module": "talking_head_studio.js",
  "types": "talking_head_studio.d.ts",
  "files": ["talking_head_studio.js", "talking_head_studio_bg.wasm", "talking_head_studio.d.ts", "talking_head_studio_bg.wasm.d.ts", "snippets/", "face/"],
  "sideEffects": false
}
JSON
printf 'package in pkg/: ' && for f in pkg/talking_head_studio_bg.wasm pkg/talking_head_studio.js; do printf '%s %d B (%d B gzipped)  ' "${f#pkg/}" "$(stat -c %s "$f")" "$(gzip -9 -c "$f" | wc -c)"; done
total=$(( $(gzip -9 -c pkg/talking_head_studio_bg.wasm | wc -c) + $(gzip -9 -c pkg/talking_head_studio.js | wc -c) ))
printf '\nwasm + JS gzipped: %d B (%s KB)\n' "$total" "$(awk -v b="$total" 'BEGIN { printf "%.1f", b / 1024 }')"
