#!/usr/bin/env bash
# Sets up a bare machine and runs every test:
#   host tests (app logic, stand-in, proxy, face finder), the page built for release,
#   the same unit tests plus transport tests in headless Chromium (against a
#   stand-in on a free port), and end-to-end tests of the built page over WebDriver.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s ===\n' "$*"; }

step "setup"
bash scripts/setup.sh
source scripts/env.sh

step "host tests: app logic, stand-in, proxy"
cargo test -p talking-head-studio --lib
cargo test -p stand-in -p proxy
cargo test --release -p face-finder   # the face finder on real pictures (release: the detector is slow unoptimised)
cargo build -q -p stand-in

step "release build of the page"
bash scripts/build.sh

step "browser tests (wasm-bindgen-test in headless Chromium)"
( source scripts/wasm-env.sh; bash scripts/with-stand-in.sh cargo test --target wasm32-unknown-unknown -p talking-head-studio )

step "end-to-end tests (WebDriver, real Chromium, built page)"
cargo test -p talking-head-studio --test e2e --test e2e_runs --test e2e_inputs --test e2e_money --test e2e_face --test e2e_a11y --test e2e_cost --test e2e_compare

step "JS package: build, type check of its .d.ts, tests in Chromium"
bash scripts/build-pkg.sh
tsc --noEmit --strict --target es2022 --module es2022 --moduleResolution bundler --lib es2022,esnext.disposable,dom tests/package/usage.ts
cargo test -p talking-head-studio --test e2e_package

step "all tests passed"
