#!/usr/bin/env bash
# Builds the JS-importable package into pkg/ (ES module + .wasm + .d.ts +
# package.json), usable with <script type="module"> and no bundler, or from
# a bundler. Prints its gzipped size. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
source scripts/size-flags.sh
# --emit-relocs (read by wasm-split, see scripts/build.sh) for the package's own link only.
cargo rustc -q --release --lib --target wasm32-unknown-unknown --features js-api,split -- -Clink-args=--emit-relocs
rm -rf pkg && mkdir -p pkg
# Split as the page is (scripts/build.sh): the studio's views, which only
# mount() draws, become wasm chunks: mount() fetches the studio's and those
# of the parts it shows at once, the others come on first use (the camera,
# the code panel, the comparison…).
split=target/wasm-split-pkg
rm -rf "$split" && mkdir -p "$split"
wasm-split-cli --out-name talking_head_studio target/wasm32-unknown-unknown/release/talking_head_studio.wasm "$split"
wasm-bindgen --target web --keep-lld-exports --no-demangle --out-dir pkg --out-name talking_head_studio "$split/talking_head_studio.wasm"
python3 scripts/short-imports.py pkg/talking_head_studio_bg.wasm pkg/talking_head_studio.js
wasm-opt -Oz pkg/talking_head_studio_bg.wasm -o pkg/talking_head_studio_bg.wasm
cp "$split/__wasm_split.js" pkg/
for chunk in "$split"/*.wasm; do
  [ "$chunk" = "$split/talking_head_studio.wasm" ] && continue
  wasm-opt -Oz "$chunk" -o "pkg/$(basename "$chunk")"
done
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
  "files": ["talking_head_studio.js", "talking_head_studio_bg.wasm", "talking_head_studio.d.ts", "talking_head_studio_bg.wasm.d.ts", "__wasm_split.js", "split_*.wasm", "chunk_*.wasm", "snippets/", "face/"],
  "sideEffects": false
}
JSON
gz() { gzip -9 -c "$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
first=0
for f in pkg/talking_head_studio_bg.wasm pkg/talking_head_studio.js pkg/__wasm_split.js; do first=$((first + $(gz "$f"))); done
later=0
for f in pkg/*.wasm; do [ "$f" = pkg/talking_head_studio_bg.wasm ] || later=$((later + $(gz "$f"))); done
printf 'package in pkg/, gzipped:\n'
printf '  on import (validate, estimate, toCode, generate, resume, compare): %d B (%s KB)\n' "$first" "$(kb "$first")"
printf '  the studio'"'"'s views, in chunks fetched by mount() and by the first use of each part: %d B (%s KB)\n' "$later" "$(kb "$later")"
printf 'wasm + JS gzipped: %d B (%s KB)\n' "$((first + later))" "$(kb $((first + later)))"
