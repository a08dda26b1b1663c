#!/usr/bin/env bash
# Benchmarks for the page's budgets; prints figures (see benches/page.rs).
# Sets up, builds the page and the Leptos counter baseline the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
source scripts/wasm-env.sh
source scripts/size-flags.sh
(cd crates/counter && cargo build -q --release --target wasm32-unknown-unknown && trunk build --release --dist ../../target/counter-dist)
bash scripts/csp-boot.sh target/counter-dist   # served under the same CSP as the page
echo "counter page: $(bash scripts/size.sh target/counter-dist | tail -1)"
mkdir -p target/bench-media
[ -s target/bench-media/big.wav ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=220:duration=200" -ar 48000 -ac 1 target/bench-media/big.wav
source scripts/env.sh
unset RUSTC RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD CARGO_UNSTABLE_BUILD_STD_FEATURES CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS
cargo bench -q -p talking-head-studio --bench page
