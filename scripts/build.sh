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
# The Content-Security-Policy allows no inline script: move Trunk's inline
# loader into a file of its own.
perl -0 -i -pe 'if (s{<script type="module">(.*?)</script>}{<script type="module" src="/boot.js"></script>}s) { open(my $f, ">", "dist/boot.js") or die; print $f $1; close $f }' dist/index.html
grep -q 'src="/boot.js"' dist/index.html || { echo "build: Trunk's loader script was not found in dist/index.html" >&2; exit 1; }
bash scripts/size.sh
