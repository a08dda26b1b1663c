#!/usr/bin/env bash
# Moves Trunk's inline loader script out of DIST/index.html into DIST/boot.js:
# the pages' Content-Security-Policy allows no inline script. Used for the
# benchmark's Leptos counter (built by Trunk); the page has its own web/boot.js.
# Usage: scripts/csp-boot.sh DIST
set -euo pipefail
dist=$1
perl -0 -i -pe 'BEGIN { $d = shift @ARGV } if (s{<script type="module">(.*?)</script>}{<script type="module" src="/boot.js"></script>}s) { open(my $f, ">", "$d/boot.js") or die; print $f $1; close $f }' "$dist" "$dist/index.html"
grep -q 'src="/boot.js"' "$dist/index.html" || { echo "csp-boot: Trunk's loader script was not found in $dist/index.html" >&2; exit 1; }
