#!/usr/bin/env bash
# Makes the README's pictures at 1280×800: docs/studio.png (previews with the
# face box and framing, before a run; the layout test with SCREENSHOT_TO set)
# and docs/compare.png (six drafts side by side; the comparison test with
# COMPARE_SCREENSHOT_TO set). Assumes setup has run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -f dist/index.html ] || bash scripts/build.sh
cargo build -q -p stand-in
mkdir -p docs
SCREENSHOT_TO="$PWD/docs/studio.png" cargo test -q -p talking-head-studio --test e2e_a11y on_a_laptop_screen
COMPARE_SCREENSHOT_TO="$PWD/docs/compare.png" cargo test -q -p talking-head-studio --test e2e_compare six_drafts
echo "wrote docs/studio.png and docs/compare.png"
