//! The baseline page for the start-time benchmark: a counter, nothing else.
use leptos::prelude::*;

fn main() {
    leptos::mount::mount_to_body(|| {
        let count = RwSignal::new(0);
        view! { <button data-testid="generate" on:click=move |_| *count.write() += 1>"Count: " {count}</button> }
    });
    // The moment it is usable, as the studio marks it.
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("studio-mounted");
    }
}
