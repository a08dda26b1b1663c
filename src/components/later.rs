//! Parts of the studio whose code is fetched when first shown.
//!
//! In the page's build (feature `split`, see scripts/build.sh) each part is a
//! wasm-split point (the machinery under Leptos's `#[lazy]`): wasm-split moves
//! its code into a wasm chunk of its own, which the browser fetches the first
//! time the part is drawn. In every other build (tests, the JS package) the
//! same function is plain code. A chunk that cannot be fetched is an error
//! the part shows with "Try again", never a panic (one would stop the page).

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use thiserror::Error;

/// A part of the studio whose code could not be fetched.
#[derive(Clone, Copy, Debug, Error, PartialEq)]
#[error("This part of the studio could not be loaded (is the connection down?). Nothing was sent; try again.")]
pub struct PartMissing;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        PartMissing
    }
}

/// Declares `fn name(args) -> AnyView` as a part loaded on first use; it
/// becomes `async fn name(args) -> Result<AnyView, PartMissing>` in either
/// build. Arguments are passed by value (the chunk is called through the
/// wasm's C ABI), and the function's name names its chunk.
macro_rules! later_part {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> AnyView $body:block) => {
        $(#[$meta])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name($($arg: $ty),*) -> Result<leptos::prelude::AnyView, $crate::components::later::PartMissing> {
            Ok($body)
        }

        $(#[$meta])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<leptos::prelude::AnyView, $crate::components::later::PartMissing> {
            Ok($body)
        }
    };
}
pub(crate) use later_part;

/// Draws a part once its code is here (nothing before: a chunk is a few KB
/// from the page's own server); if it cannot be fetched, says so with a
/// button that tries again. `part` starts one attempt.
pub fn later<F>(part: impl Fn() -> F + Send + Sync + 'static) -> impl IntoView
where
    F: Future<Output = Result<AnyView, PartMissing>> + 'static,
{
    let attempt = RwSignal::new(0u32);
    move || {
        attempt.track();
        // The chunk loader's future lives on this (only) thread; Suspend asks for Send.
        let loading = SendWrapper::new(part());
        let shown = async move {
            match loading.await {
                Ok(view) => view,
                Err(missing) => view! {
                    <p class="ths-warning" role="alert" data-testid="part-missing">
                        {missing.to_string()} " "
                        <button type="button" data-testid="part-retry" on:click=move |_| attempt.update(|n| *n += 1)>"Try again"</button>
                    </p>
                }
                .into_any(),
            }
        };
        view! { <Suspense fallback=|| ()>{Suspend::new(SendWrapper::new(shown))}</Suspense> }
    }
}
