//! Where the request goes (the local stand-in, Segmind with a key, or a
//! proxy), whether keys are remembered, and the account's balance.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::studio::{use_studio, Studio};
use crate::api::endpoint::{EndpointField, EndpointKind, SettingText};
use crate::api::estimate;
use crate::net;

/// One text setting: which, its label, placeholder and hint.
type SettingSpec = (SettingText, &'static str, &'static str, &'static str);

const SETTINGS: [SettingSpec; 5] = [
    (SettingText::StandInUrl, "Stand-in URL", "", "Empty: the server this page came from."),
    (SettingText::StandInKey, "Stand-in key", "", "Pre-filled with the key the stand-in accepts by default; sent only to the stand-in's own origin."),
    (
        SettingText::SegmindKey,
        "Segmind API key",
        "",
        "Sent only to https://api.segmind.com and, for local files, https://workflows-api.segmind.com, in the x-api-key header; never to a job's URLs on other sites or through redirects. Kept on this device only if you tick below.",
    ),
    (SettingText::ProxyUrl, "Proxy URL", "https://your-server.example/segmind", "Replaces https://api.segmind.com; the proxy adds the key on its server."),
    (SettingText::ProxyKey, "Proxy key (optional)", "", "Only if your proxy asks for one; sent only to the proxy's own origin (scheme, host and port above)."),
];

/// A text input bound to one endpoint setting, shown only for its endpoint.
fn setting_input(studio: Studio, (setting, label, placeholder, hint): SettingSpec, page_origin: &str) -> impl IntoView {
    let settings = studio.endpoint;
    let testid = match setting {
        SettingText::StandInUrl => "stand-in-url",
        SettingText::StandInKey => crate::api::endpoint::STAND_IN_DEFAULT_KEY,
        SettingText::SegmindKey => "segmind-key",
        SettingText::ProxyUrl => "proxy-url",
        SettingText::ProxyKey => "proxy-key",
    };
    let id = studio.id(testid);
    let placeholder = if setting == SettingText::StandInUrl { page_origin.to_string() } else { placeholder.to_string() };
    // The first text goes in as the attribute, and later texts are written
    // only when they differ from what the input holds: in Chromium a write of
    // a password field's value (the property, not the attribute) costs
    // milliseconds once it is on the page, even an unchanged one (its password
    // tooling looks at the page); three were 30 ms of the page's start. The
    // attribute goes once the text differs, so a forgotten key does not stay
    // in the page.
    let text = Memo::new(move |_| settings.with(|s| s.text(setting).to_string()));
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        let text = text.get();
        let Some(input) = input.get() else { return };
        if input.value() != text {
            input.set_value(&text);
        }
        if input.get_attribute("value").is_some_and(|first| first != text) {
            let _ = input.remove_attribute("value");
        }
    });
    view! {
        <div class="ths-field" hidden=move || settings.with(|s| s.kind != setting.kind())>
            <label for=id.clone()>{label}</label>
            // Keys: masked, and never autocompleted or spell-checked (which could send them away).
            <input id=id type=if setting.is_secret() { "password" } else { "url" } autocomplete="off" spellcheck="false"
                data-testid=testid placeholder=placeholder node_ref=input value=text.get_untracked()
                on:input=move |ev| settings.update(|s| s.set_text(setting, event_target_value(&ev))) />
            <p class="ths-hint">{hint}</p>
        </div>
    }
}

#[component]
pub fn EndpointPicker(#[prop(into)] page_origin: String) -> impl IntoView {
    let studio = use_studio();
    let settings = studio.endpoint;
    let run_settings = studio.run_settings;
    let resolved = studio.resolved;
    let kind = move || settings.with(|s| s.kind);
    let message = move |field: EndpointField| resolved.with(|r| r.as_ref().err().filter(|e| e.field() == field).map(ToString::to_string));
    let group = studio.id("endpoint");

    let options = EndpointKind::ALL.map(|k| {
        view! {
            <label class="ths-choice">
                <input type="radio" name=group.clone() value=k.as_str() data-testid=format!("endpoint-{}", k.as_str())
                    prop:checked=move || kind() == k
                    on:change=move |_| {
                        settings.update(|s| s.kind = k);
                        studio.credits.set(None);
                    } />
                {k.label()}
            </label>
        }
    });
    let inputs = SETTINGS.map(|spec| setting_input(studio, spec, &page_origin));
    let messages = [(EndpointField::BaseUrl, "error-endpoint-url"), (EndpointField::Key, "error-api-key")].map(|(field, testid)| {
        view! { <p class="ths-field-error" role="alert" data-testid=testid hidden=move || message(field).is_none()>{move || message(field)}</p> }
    });

    let forget = move |_| {
        settings.update(|s| {
            s.segmind_key.clear();
            s.proxy_key.clear();
        });
        run_settings.update(|r| r.remember_key = false);
    };
    let check_credits = move |_| {
        let Ok(endpoint) = resolved.get_untracked() else { return };
        spawn_local(async move {
            let _ = studio.credits.try_set(Some(net::check_credits(endpoint).await));
        });
    };
    let credits_text = move || {
        studio.credits.with(|c| match c {
            None => None,
            Some(Ok(credits)) => Some(format!("Balance: {} credits", estimate::credits_text(credits.total()))),
            Some(Err(error)) => Some(format!("Could not read the balance: {error} {}", error.next_step())),
        })
    };

    view! {
        <fieldset class="ths-endpoint" data-testid="endpoint">
            <legend>"Endpoint"</legend>
            <div class="ths-choices">{options.into_iter().collect_view()}</div>
            <p class="ths-note ths-stand-in-note" data-testid="stand-in-label" hidden=move || kind() != EndpointKind::StandIn>
                "Local stand-in: it keeps the API's contract and answers with a real video made from your "
                "portrait and voice, but it does not animate the face. Nothing is charged."
            </p>
            {inputs.into_iter().collect_view()}
            {messages.into_iter().collect_view()}
            <div class="ths-key-row" hidden=move || kind() == EndpointKind::StandIn>
                <label class="ths-choice">
                    <input type="checkbox" data-testid="remember-key" prop:checked=move || run_settings.with(|r| r.remember_key)
                        on:change=move |ev| run_settings.update(|r| r.remember_key = event_target_checked(&ev)) />
                    "Remember the key on this device"
                </label>
                <button type="button" data-testid="forget-key" on:click=forget>"Forget key"</button>
            </div>
            <div class="ths-credits">
                <button type="button" data-testid="check-credits" disabled=move || resolved.with(Result::is_err) on:click=check_credits>
                    "Check credits"
                </button>
                <span data-testid="credits">{credits_text}</span>
            </div>
        </fieldset>
    }
}
