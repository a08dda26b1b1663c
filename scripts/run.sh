#!/usr/bin/env bash
# Sets up, builds the page, and serves it with the local stand-in of the API.
# Open the printed URL; PORT=... picks another port (default 8787).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
source scripts/env.sh
cargo build -q --release -p stand-in
echo "Open the studio at the URL below (Ctrl-C stops it):"
exec target/release/stand-in --port "${PORT:-8787}" --static-dir dist --samples-dir media/generated
