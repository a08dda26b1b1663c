#!/usr/bin/env bash
# Runs a command with a stand-in listening on a free port; its URL is in
# $STAND_IN_URL for the command. The stand-in is stopped afterwards.
# Usage: scripts/with-stand-in.sh [stand-in flags --] command...
set -euo pipefail
cd "$(dirname "$0")/.."
flags=()
if printf '%s\n' "$@" | grep -qx -- '--'; then
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
fi
[ -x target/debug/stand-in ] || { echo "build the stand-in first: cargo build -p stand-in" >&2; exit 1; }
log=$(mktemp)
target/debug/stand-in --port 0 --delay-ms 200 --samples-dir media/generated "${flags[@]}" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  url=$(head -n1 "$log" | grep -o 'http://[0-9.:]*' || true)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; echo "stand-in did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "stand-in printed no URL" >&2; exit 1; }
export STAND_IN_URL=$url
"$@"
