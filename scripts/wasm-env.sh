# Compiler environment for wasm32 builds: `source scripts/wasm-env.sh`.
# rustup's wasm32 target (with rust-src) where installed; otherwise Debian's
# rustc-web with build-std (its std is not prebuilt for wasm32). Host builds must not
# use this: build-std needs an explicit --target.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if command -v rustup >/dev/null 2>&1 \
   && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   && rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  export WASM_TOOLCHAIN=rustup
else
  export WASM_TOOLCHAIN=debian
  export PATH="/usr/bin:$PATH"          # Debian's cargo 1.96 first
  export RUSTC=/usr/bin/rustc
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
fi
# Unstable flags (build-std, below in build.sh) on a stable compiler.
export RUSTC_BOOTSTRAP=1
