#!/usr/bin/env bash
# Builds the page into dist/ (release, size-tuned, wasm-opt -Oz) and prints
# its gzipped size. Assumes scripts/setup.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-env.sh
# Size: std rebuilt for size, panics abort at once (no formatting machinery),
# no panic locations or Debug output in the shipped page. Tests build
# without these so their failures still print.
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
# Online build first: fetches every crate (std's too), so Trunk's offline
# build finds them all.
cargo build -q --release --target wasm32-unknown-unknown --bin talking-head-studio
trunk build --release
bash scripts/size.sh
