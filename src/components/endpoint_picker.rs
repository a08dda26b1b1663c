//! Where the request goes (the local stand-in, Segmind with a key, or a
//! proxy), whether keys are remembered, and the account's balance.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::studio::use_studio;
use crate::endpoint::{EndpointField, EndpointKind};
use crate::estimate;
use crate::transport::{self, Run};

#[component]
pub fn EndpointPicker(#[prop(into)] page_origin: String) -> impl IntoView {
    let studio = use_studio();
    let settings = studio.endpoint;
    let run_settings = studio.run_settings;
    let resolved = studio.resolved;
    let kind = move || settings.with(|s| s.kind);
    let message_for = move |field: EndpointField| {
        move || resolved.with(|r| r.as_ref().err().filter(|e| e.field() == field).map(ToString::to_string))
    };
    let url_message = message_for(EndpointField::BaseUrl);
    let key_message = message_for(EndpointField::Key);
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
            let ignore = |_| {};
            let run = Run { signal: None, timeout_secs: None, on_progress: &ignore };
            let _ = studio.credits.try_set(Some(transport::credits(&endpoint, &run).await));
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

            <Show when=move || kind() == EndpointKind::StandIn>
                <p class="ths-note ths-stand-in-note" data-testid="stand-in-label">
                    "Local stand-in: it keeps the API's contract and answers with a real video made from your "
                    "portrait and voice, but it does not animate the face. Nothing is charged."
                </p>
                <TextSetting name="stand-in-url" label="Stand-in URL" placeholder=page_origin.clone()
                    hint="Empty: the server this page came from."
                    value=Signal::derive(move || settings.with(|s| s.stand_in_url.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.stand_in_url = v)) />
                <KeyInput name="stand-in-key" label="Stand-in key" hint="Pre-filled with the key the stand-in accepts by default."
                    value=Signal::derive(move || settings.with(|s| s.stand_in_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.stand_in_key = v)) />
            </Show>

            <Show when=move || kind() == EndpointKind::Segmind>
                <KeyInput name="segmind-key" label="Segmind API key"
                    hint="Sent only to api.segmind.com, in the x-api-key header. Kept on this device only if you tick below."
                    value=Signal::derive(move || settings.with(|s| s.segmind_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.segmind_key = v)) />
            </Show>

            <Show when=move || kind() == EndpointKind::Proxy>
                <TextSetting name="proxy-url" label="Proxy URL" placeholder="https://your-server.example/segmind".to_string()
                    hint="Replaces https://api.segmind.com; the proxy adds the key on its server."
                    value=Signal::derive(move || settings.with(|s| s.proxy_url.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.proxy_url = v)) />
                <KeyInput name="proxy-key" label="Proxy key (optional)" hint="Only if your proxy asks for one; sent to the proxy only."
                    value=Signal::derive(move || settings.with(|s| s.proxy_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.proxy_key = v)) />
            </Show>

            <p class="ths-field-error" role="alert" data-testid="error-endpoint-url" hidden=move || url_message().is_none()>{url_message}</p>
            <p class="ths-field-error" role="alert" data-testid="error-api-key" hidden=move || key_message().is_none()>{key_message}</p>

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

/// A text setting of the endpoint.
#[component]
fn TextSetting(
    name: &'static str,
    label: &'static str,
    placeholder: String,
    hint: &'static str,
    value: Signal<String>,
    on_input: Callback<String>,
) -> impl IntoView {
    let id = use_studio().id(name);
    view! {
        <div class="ths-field">
            <label for=id.clone()>{label}</label>
            <input id=id type="url" spellcheck="false" autocomplete="off" data-testid=name placeholder=placeholder
                prop:value=move || value.get() on:input=move |ev| on_input.run(event_target_value(&ev)) />
            <p class="ths-hint">{hint}</p>
        </div>
    }
}

/// A masked key field: never autocompleted, never spell-checked (which could send it away).
#[component]
fn KeyInput(name: &'static str, label: &'static str, hint: &'static str, value: Signal<String>, on_input: Callback<String>) -> impl IntoView {
    let id = use_studio().id(name);
    view! {
        <div class="ths-field">
            <label for=id.clone()>{label}</label>
            <input id=id type="password" autocomplete="off" spellcheck="false" data-testid=name
                prop:value=move || value.get() on:input=move |ev| on_input.run(event_target_value(&ev)) />
            <p class="ths-hint">{hint}</p>
        </div>
    }
}
