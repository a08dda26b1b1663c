//! Parts of the studio whose code is fetched when first shown.
//!
//! In the page's build (feature `split`, see scripts/build.sh) each part is a
//! Leptos `#[lazy]` function: wasm-split moves its code into a wasm chunk of
//! its own, which the browser fetches the first time the part is drawn. In
//! every other build (tests, the JS package) the same function is plain code.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// Declares `fn name(args) -> AnyView` as a part loaded on first use: an
/// `async fn` either way, so callers do not care which build they are in.
/// Arguments are passed by value (the chunk is called through the wasm's ABI).
macro_rules! later_part {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> AnyView $body:block) => {
        $(#[$meta])*
        #[cfg(feature = "split")]
        #[leptos::lazy]
        $vis fn $name($($arg: $ty),*) -> leptos::prelude::AnyView $body

        $(#[$meta])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> leptos::prelude::AnyView $body
    };
}
pub(crate) use later_part;

/// Draws a part once its code is here; nothing before (the parts are below
/// the form, and the static page holds their place no longer than a fetch).
pub fn later(part: impl Future<Output = AnyView> + 'static) -> impl IntoView {
    // The chunk loader's future lives on this (only) thread; Suspend asks for Send.
    let part = SendWrapper::new(part);
    view! { <Suspense fallback=|| ()>{Suspend::new(part)}</Suspense> }
}
