#!/usr/bin/env bash
# Installs everything the app, its tests and its sample media need, on a bare
# machine of this project's kind (each step says why it is the way it is).
# Idempotent: a second run only checks and returns quickly.
#
# After it, `source scripts/env.sh` puts the tools on PATH, and
# `source scripts/wasm-env.sh` sets up the compiler for wasm32 builds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WASM_BINDGEN_VERSION=0.2.130   # must equal the `=` pin in Cargo.toml
WASM_SPLIT_VERSION=0.2.4        # its CLI has no --version: `cargo install --list` tells
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than Debian's rustc-web
BINARYEN_VERSION=132.0.0       # Debian's binaryen 108 emits modules Chromium rejects
TYPESCRIPT_VERSION=5.9.3       # type-checks the package's .d.ts
TERSER_VERSION=5.51.4          # minifies the page's JS glue (−2.5 KB gzipped)
AXE_VERSION=4.11.0             # accessibility checks in the browser tests
TOOLS="$ROOT/.tools"           # project-local tools (wasm-opt wrapper, node modules)

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- 1. Debian packages ------------------------------------------------------
apt_pkgs=()
# rustup's wasm32 target and std source (the release page rebuilds std for
# size) where rustup can fetch them; otherwise Debian's rustc-web, which has both.
have_wasm_target=0
if command -v rustup >/dev/null 2>&1 \
   && rustup target add wasm32-unknown-unknown >/dev/null 2>&1 \
   && rustup component add rust-src >/dev/null 2>&1; then
  have_wasm_target=1
fi
if [ "$have_wasm_target" = 0 ]; then
  for p in rustc-web cargo-web rust-web-src lld-22; do
    dpkg -s "$p" >/dev/null 2>&1 || apt_pkgs+=("$p")
  done
fi
for p in chromium chromium-driver ffmpeg espeak-ng curl redis-server zopfli; do
  dpkg -s "$p" >/dev/null 2>&1 || apt_pkgs+=("$p")
done
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  log "installing Debian packages: ${apt_pkgs[*]}"
  need_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive need_root apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

# --- 2. wasm-bindgen CLI and Trunk (host toolchain builds them) --------------
export PATH="$HOME/.cargo/bin:$PATH"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 5 minutes)"
  # Not --locked: its lockfile names a crate version the registry here lacks.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
# wasm-split: cuts the page's wasm into the first load and the chunks its
# `#[lazy]` parts are fetched from (scripts/build.sh).
if ! cargo install --list 2>/dev/null | grep -q "^wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  log "building wasm-split-cli $WASM_SPLIT_VERSION (about 2 minutes)"
  cargo install -q wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --features build-binary --force
fi
if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION\$"; then
  log "building trunk $TRUNK_VERSION (about 6 minutes)"
  cargo install -q trunk --version "$TRUNK_VERSION" --locked --force
fi

# --- 3. wasm-opt from npm's binaryen, wrapped with the feature flags ---------
mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/node_modules/binaryen/bin/wasm-opt" ]; then
  log "installing binaryen $BINARYEN_VERSION from npm"
  (cd "$TOOLS" && [ -f package.json ] || echo '{"private":true}' > "$TOOLS/package.json")
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION" >/dev/null
fi
if [ ! -x "$TOOLS/node_modules/.bin/tsc" ]; then
  log "installing typescript $TYPESCRIPT_VERSION from npm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "typescript@$TYPESCRIPT_VERSION" >/dev/null
fi
ln -sf "$TOOLS/node_modules/.bin/tsc" "$TOOLS/bin/tsc"
if [ ! -x "$TOOLS/node_modules/.bin/terser" ]; then
  log "installing terser $TERSER_VERSION from npm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "terser@$TERSER_VERSION" >/dev/null
fi
ln -sf "$TOOLS/node_modules/.bin/terser" "$TOOLS/bin/terser"
if [ ! -s "$TOOLS/node_modules/axe-core/axe.min.js" ]; then
  log "installing axe-core $AXE_VERSION from npm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "axe-core@$AXE_VERSION" >/dev/null
fi
[ -s "$TOOLS/node_modules/axe-core/axe.min.js" ] || die "axe-core is missing after setup"
cat > "$TOOLS/bin/wasm-opt" <<WRAP
#!/usr/bin/env bash
# Explicit feature flags: --all-features produces modules Chromium refuses.
exec node "$TOOLS/node_modules/binaryen/bin/wasm-opt" \\
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \\
  --enable-mutable-globals --enable-reference-types --enable-multivalue "\$@"
WRAP
chmod +x "$TOOLS/bin/wasm-opt"

# --- 4. Sample and test media -------------------------------------------------
bash "$ROOT/scripts/make-media.sh"

# --- 5. Final check: fail loudly, never let a test skip quietly ----------------
source "$ROOT/scripts/env.sh"
for tool in wasm-bindgen wasm-split-cli terser trunk chromium chromedriver ffmpeg espeak-ng wasm-opt node tsc curl redis-server; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is still missing after setup"
done
[ "$have_wasm_target" = 1 ] || [ -x /usr/lib/llvm-22/bin/wasm-ld ] || die "no wasm32 linker"
log "ready"
