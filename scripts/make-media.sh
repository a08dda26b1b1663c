#!/usr/bin/env bash
# Makes the sample portrait and voice clip (and test media) from packages.
echo "[media] TODO"
