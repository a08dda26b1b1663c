#!/usr/bin/env bash
# Writes a gzip copy beside each HTML, JS, CSS and wasm file of a built page
# (dir/x.wasm -> dir/x.wasm.gz), made with zopfli: a gzip stream any browser
# reads, smaller than `gzip -9` (scripts/size.sh prints both), at the cost of build time
# (about a second per 300 KB). The stand-in serves these copies with
# `Content-Encoding: gzip` to browsers that accept it, as a static host set
# up for precompressed files does; scripts/size.sh counts them as what is
# sent. Other files (the face model's .bin, ~7% smaller gzipped) get a
# `gzip -9` copy: zopfli would take minutes on its 1.2 MB for little more.
# Usage: scripts/precompress.sh dir
set -euo pipefail
DIR=${1:?usage: scripts/precompress.sh dir}
command -v zopfli >/dev/null || { echo "zopfli is missing: bash scripts/setup.sh installs it" >&2; exit 1; }
find "$DIR" -name '*.gz' -type f -delete
find "$DIR" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -print0 |
  xargs -0 -r -n 1 -P "$(nproc)" sh -c 'zopfli --gzip -c "$1" > "$1.gz"' zopfli
find "$DIR" -type f ! \( -name '*.gz' -o -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -exec gzip -9 -k -f {} \;
