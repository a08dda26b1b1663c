#!/usr/bin/env bash
# Builds the page into dist/ (release, size-tuned, wasm-opt -Oz) and prints
# its gzipped size. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
source scripts/size-flags.sh
# Online build first: fetches every crate (std's too), so Trunk's offline
# build finds them all.
cargo build -q --release --target wasm32-unknown-unknown --bin talking-head-studio
trunk build --release
# The Content-Security-Policy allows no inline script: Trunk's loader goes to boot.js.
bash scripts/csp-boot.sh dist
# The face check's worker, fetched only when a portrait is chosen.
bash scripts/build-face.sh dist/face
bash scripts/size.sh
