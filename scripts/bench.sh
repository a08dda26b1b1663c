#!/usr/bin/env bash
# Benchmarks for the page's budgets: prints one table (see benches/page.rs)
# and puts it in docs/bench.md and in the README between its bench markers.
# Sets up, builds the page and the Leptos counter baseline the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
source scripts/wasm-env.sh
source scripts/size-flags.sh
(cd crates/counter && cargo build -q --release --target wasm32-unknown-unknown && trunk build --release --dist ../../target/counter-dist)
bash scripts/csp-boot.sh target/counter-dist   # served under the same CSP as the page
bash scripts/precompress.sh target/counter-dist   # and sent compressed the same way
# TOTAL's figures: at gzip -9, then as sent (the zopfli copies).
gz_total() { bash scripts/size.sh "$1" | awk -v col="$2" '$1 == "TOTAL" { print $col }'; }
export STUDIO_GZ_BYTES="$(gz_total dist 3)" COUNTER_GZ_BYTES="$(gz_total target/counter-dist 3)"
export STUDIO_GZ9_BYTES="$(gz_total dist 2)" COUNTER_GZ9_BYTES="$(gz_total target/counter-dist 2)"
export STUDIO_WASM_GZ_BYTES="$(bash scripts/size.sh dist | awk '$1 == "pkg/studio_bg.wasm" { print $4 }')"
mkdir -p target/bench-media
[ -s target/bench-media/big.wav ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=220:duration=200" -ar 48000 -ac 1 target/bench-media/big.wav
source scripts/env.sh
unset RUSTC RUSTC_BOOTSTRAP CARGO_UNSTABLE_BUILD_STD CARGO_UNSTABLE_BUILD_STD_FEATURES CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS
cargo bench -q -p talking-head-studio --bench page
{
  echo "Printed by \`bash scripts/bench.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores:"
  echo
  cat target/bench-table.md
} > docs/bench.md
# The README shows the same table, between its markers.
python3 - <<'PY'
import re
readme = open("README.md").read()
table = open("docs/bench.md").read().strip()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
if start in readme and end in readme:
    before, rest = readme.split(start, 1)
    _, after = rest.split(end, 1)
    open("README.md", "w").write(f"{before}{start}\n{table}\n{end}{after}")
PY
echo "wrote docs/bench.md and the README's table"
