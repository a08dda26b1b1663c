//! Code fetched on first use.
//!
//! In the page's and the package's builds (feature `split`, see
//! scripts/build.sh) each function declared with [`split_point!`] is a
//! wasm-split point (the machinery under Leptos's `#[lazy]`): wasm-split moves
//! the code only it reaches into a wasm chunk of its own, which the browser
//! fetches the first time it is called. In every other build (tests, host)
//! the same function is plain code. A chunk that cannot be fetched is an
//! error ([`PartMissing`]), never a panic (one would stop the page).

use thiserror::Error;

/// Code of the studio that could not be fetched.
#[derive(Clone, Copy, Debug, Error, PartialEq)]
#[error("This part of the studio could not be loaded (is the connection down?). Nothing was sent; try again.")]
pub struct PartMissing;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartMissing
    }
}

/// Declares `fn name(args) -> T { body }` as code fetched on first use; it
/// becomes `async fn name(args) -> Result<T, PartMissing>` in either build.
/// Arguments are passed by value (the chunk is called through the wasm's C
/// ABI), and the function's name names its chunk. Written
/// `preload pub warm; fn name…`, it also declares `async fn warm() ->
/// Result<(), PartMissing>`, which fetches the chunk without calling it (at
/// most one such split point per module: wasm-split's own preload function
/// is named `fetch_chunk`).
macro_rules! split_point {
    (preload $pvis:vis $preload:ident; $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $crate::chunks::split_point!(@define [, preload(fetch_chunk)] $(#[$meta])* $vis fn $name($($arg: $ty),*) -> $ret $body);

        /// Fetches the chunk of this part ahead of its first use.
        $pvis async fn $preload() -> Result<(), $crate::chunks::PartMissing> {
            #[cfg(feature = "split")]
            fetch_chunk().await?;
            Ok(())
        }
    };
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $crate::chunks::split_point!(@define [] $(#[$meta])* $vis fn $name($($arg: $ty),*) -> $ret $body);
    };
    (@define [$($option:tt)*] $(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$meta])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible $($option)*)]
        $vis fn $name($($arg: $ty),*) -> Result<$ret, $crate::chunks::PartMissing> {
            Ok($body)
        }

        $(#[$meta])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$ret, $crate::chunks::PartMissing> {
            Ok($body)
        }
    };
}
pub(crate) use split_point;

/// Fetches, once the page is idle, the chunks a person's first steps need
/// (a file's check and what it shows, the run's code and its views), so no
/// click waits for code. A fetch that fails is left: the part tries again when it is used.
pub async fn warm_up() {
    let _ = crate::media::local::fetch_check_part().await;
    let _ = crate::components::fetch_files_part().await;
    let _ = crate::components::fetch_status_part().await;
    let _ = crate::components::fetch_run_part().await;
    let _ = crate::components::fetch_outcome_part().await;
}
