# Environment for building and testing the wasm app. Source it: `source scripts/env.sh`.
# Uses rustup's wasm32 target where it exists, else Debian's rustc-web with
# build-std (see ../shared/TOOLCHAIN.md).
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$_root/.tools/bin:$HOME/.cargo/bin:$PATH"
if ! (command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown); then
  export PATH="/usr/bin:$PATH"          # Debian's cargo 1.96 first
  export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
fi
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$HOME/.cargo/bin/wasm-bindgen-test-runner"
unset _root
