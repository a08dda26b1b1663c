#!/usr/bin/env bash
# Makes docs/studio.png, the README's picture of the studio at 1280×800 after
# a run (previews with the face box and framing, the result, the history),
# by running the layout test with SCREENSHOT_TO set. Assumes setup has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -f dist/index.html ] || bash scripts/build.sh
cargo build -q -p stand-in
mkdir -p docs
SCREENSHOT_TO="$PWD/docs/studio.png" cargo test -q -p talking-head-studio --test e2e_a11y on_a_laptop_screen
echo "wrote docs/studio.png"
