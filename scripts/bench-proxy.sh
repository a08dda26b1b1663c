#!/usr/bin/env bash
# The proxy's load benchmark (crates/proxy/examples/load.rs): many concurrent
# clients polling and submitting through the proxy binary to the stand-in on
# loopback, then the same directly. Prints requests per second, the latency
# the proxy adds (p50/p99), its peak memory, and lost or mixed-up answers.
# Assumes scripts/setup.sh has run (sample media).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p proxy --bin proxy --example load
./target/release/examples/load
