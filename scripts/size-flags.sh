# The size tuning of shipped wasm (the page, the package, the counter
# baseline): std rebuilt for size, panics abort at once (no formatting
# machinery), no panic locations or Debug output. `source` it after
# scripts/wasm-env.sh. Tests build without it so their failures still print.
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
