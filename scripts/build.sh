#!/usr/bin/env bash
# Builds the page into dist/ (release, size-tuned, wasm-opt -Oz) and prints
# its gzipped size. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
# Online build first: fetches every crate (and std's, with build-std), so
# Trunk's offline build finds them all.
cargo build -q --release --target wasm32-unknown-unknown --bin talking-head-studio
trunk build --release
bash scripts/size.sh
