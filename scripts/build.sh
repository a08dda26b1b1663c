#!/usr/bin/env bash
# Builds the page into dist/ (release, size-tuned, wasm-opt -Oz) and prints
# its gzipped size. Assumes scripts/setup.sh has run.
#
# The wasm is split: parts of the studio shown only after a click or later
# (Leptos `#[lazy]` functions, see src/components/later.rs) are cut into wasm
# chunks of their own by wasm-split, which the browser fetches on first use.
# Trunk cannot run that step, so this script is the build: cargo (linked
# with --emit-relocs, which wasm-split reads) → wasm-split → wasm-bindgen →
# wasm-opt into dist/pkg/, beside index.html, style/ and web/boot.js copied
# as they are (Trunk's CSS minifying saved nothing here).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
source scripts/size-flags.sh
# --emit-relocs keeps the linker's relocations, which wasm-split reads; given to
# the page's own link only (`cargo rustc`), so every other build shares the deps.
cargo rustc -q --release --target wasm32-unknown-unknown --bin talking-head-studio --features split -- -Clink-args=--emit-relocs
split=target/wasm-split
rm -rf "$split" dist
mkdir -p "$split" dist/pkg dist/style
cp index.html web/boot.js dist/
cp style/main.css dist/style/
wasm-split-cli --out-name studio target/wasm32-unknown-unknown/release/talking-head-studio.wasm "$split"
# Keep the exports wasm-split's chunks link against; their names stay mangled for the same reason.
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle --out-name studio --out-dir dist/pkg "$split/studio.wasm"
# Short names for the ~300 JS imports, in the wasm and its loader at once (why: in the script).
python3 scripts/short-imports.py dist/pkg/studio_bg.wasm dist/pkg/studio.js
# Leptos depends on server_fn in every build, and its JS-stream adaptors
# (wasm-streams' IntoUnderlyingSource, ...Sink, ...ByteSource) are wasm-bindgen
# exports: roots that keep their code though this page never calls them (their
# JS classes stay in the loader, unused). Removing the exports lets wasm-opt drop
# that code (its size: the commit that added this step).
# (Passes run in the order given: the exports go first.)
wasm-opt --remove-exports --pass-arg='remove-exports@*intounderlying*' -Oz dist/pkg/studio_bg.wasm -o dist/pkg/studio_bg.wasm
cp "$split/__wasm_split.js" dist/pkg/
for js in dist/pkg/studio.js dist/pkg/__wasm_split.js; do
  terser "$js" --module --compress --mangle -o "$js"
done
for chunk in "$split"/*.wasm; do
  [ "$chunk" = "$split/studio.wasm" ] && continue
  wasm-opt -Oz "$chunk" -o "dist/pkg/$(basename "$chunk")"
done
# The face check's worker, fetched only when a portrait is chosen.
bash scripts/build-face.sh dist/face
# Gzip copies the stand-in sends (zopfli; see the script).
bash scripts/precompress.sh dist
bash scripts/size.sh
