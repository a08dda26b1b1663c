//! Parts of the studio drawn from code fetched when first shown
//! ([`crate::chunks`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::chunks::PartMissing;

/// One attempt at a part: its view, once its code is here.
type PartView = Pin<Box<dyn Future<Output = Result<AnyView, PartMissing>>>>;

/// Draws a part once its code is here (nothing before: a chunk is a few KB
/// from the page's own server); if it cannot be fetched, says so with a
/// button that tries again. `part` starts one attempt.
pub fn later<F>(part: impl Fn() -> F + Send + Sync + 'static) -> AnyView
where
    F: Future<Output = Result<AnyView, PartMissing>> + 'static,
{
    // One body for every part (a generic one was built once per part, all in the first load).
    drawn_later(Arc::new(move || Box::pin(part()) as PartView))
}

fn drawn_later(part: Arc<dyn Fn() -> PartView + Send + Sync>) -> AnyView {
    let attempt = RwSignal::new(0u32);
    let shown = move || {
        attempt.track();
        let loading = part();
        let shown = async move {
            // Fetching a part starts a few fetches (its chunk and those it shares with
            // others): that waits until the view being built, the whole form at start, is done.
            crate::browser::idle::next_task().await;
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
        // The chunk loader's future lives on this (only) thread; Suspend asks for Send.
        let shown = SendWrapper::new(shown);
        view! { <Suspense fallback=|| ()>{Suspend::new(shown)}</Suspense> }
    };
    shown.into_any()
}
