//! The current request as code (curl, Python, JavaScript), key as a placeholder.

use leptos::prelude::*;

use super::later::later;
use crate::chunks::split_point;
use super::studio::use_studio;
use crate::api::endpoint::SADTALKER_PATH;
use crate::api::snippet::{self, Language};

/// The section as the first load draws it; the snippets' code is fetched when it is first opened.
#[component]
pub fn CodePanel() -> impl IntoView {
    let opened = RwSignal::new(false);
    view! {
        <details class="ths-code" data-testid="code-panel" on:toggle=move |_| if !opened.get_untracked() { opened.set(true) }>
            <summary>"Request as code"</summary>
            {move || opened.get().then(|| later(code_part))}
        </details>
    }
}

split_point! {
    fn code_part() -> AnyView {
        view! { <CodeBody /> }.into_any()
    }
}

#[component]
fn CodeBody() -> impl IntoView {
    let studio = use_studio();
    let language = RwSignal::new(Language::Curl);
    let copied = RwSignal::new(false);
    let key_variable = move || studio.resolved.with(|r| r.as_ref().ok().and_then(|e| snippet::key_variable(e.kind, e.api_key().is_some())));
    let code = move || {
        let endpoint = studio.resolved.get().ok()?;
        let request = studio.checked.get().ok()?;
        Some(snippet::request_code(language.get(), &endpoint.url_of(SADTALKER_PATH), &request, key_variable()))
    };
    let tabs = Language::ALL.map(|lang| {
        view! {
            <button type="button" class="ths-tab" data-testid=format!("code-{}", lang.label().to_ascii_lowercase())
                aria-pressed=move || (language.get() == lang).to_string()
                on:click=move |_| { language.set(lang); copied.set(false); }>
                {lang.label()}
            </button>
        }
    });
    let copy = move |_| {
        let (Some(text), Some(window)) = (code(), web_sys::window()) else { return };
        let _ = window.navigator().clipboard().write_text(&text);
        copied.set(true);
    };
    view! {
            <div class="ths-tabs">{tabs.into_iter().collect_view()}</div>
            <p class="ths-hint">{move || match key_variable() {
                Some(variable) => format!("The key is read from the environment variable {variable}, never copied from this page."),
                None => "No key: the proxy adds it on its server.".to_string(),
            }}</p>
            <pre data-testid="code">{move || code().unwrap_or_else(|| "Fix the marked fields to see the request.".into())}</pre>
            <button type="button" data-testid="copy-code" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
    }
}
