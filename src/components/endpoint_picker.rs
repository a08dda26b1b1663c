//! Where the request goes: the local stand-in, Segmind with a key, or a proxy.

use leptos::prelude::*;

use crate::endpoint::{Endpoint, EndpointError, EndpointField, EndpointKind, EndpointSettings};

#[component]
pub fn EndpointPicker(
    settings: RwSignal<EndpointSettings>,
    resolved: Memo<Result<Endpoint, EndpointError>>,
    #[prop(into)] page_origin: String,
) -> impl IntoView {
    let kind = move || settings.with(|s| s.kind);
    let message_for = move |field: EndpointField| {
        move || resolved.with(|r| r.as_ref().err().filter(|e| e.field() == field).map(ToString::to_string))
    };
    let url_message = message_for(EndpointField::BaseUrl);
    let key_message = message_for(EndpointField::Key);

    let options = EndpointKind::ALL.map(|k| {
        view! {
            <label class="ths-choice">
                <input type="radio" name="ths-endpoint" value=k.as_str() data-testid=format!("endpoint-{}", k.as_str())
                    prop:checked=move || kind() == k
                    on:change=move |_| settings.update(|s| s.kind = k) />
                {k.label()}
            </label>
        }
    });

    view! {
        <fieldset class="ths-endpoint" data-testid="endpoint">
            <legend>"Endpoint"</legend>
            <div class="ths-choices">{options.into_iter().collect_view()}</div>

            <Show when=move || kind() == EndpointKind::StandIn>
                <p class="ths-note ths-stand-in-note" data-testid="stand-in-label">
                    "Local stand-in: it keeps the API's contract and answers with a real video made from your "
                    "portrait and voice, but it does not animate the face. Nothing is charged."
                </p>
                <div class="ths-field">
                    <label for="ths-stand-in-url">"Stand-in URL"</label>
                    <input id="ths-stand-in-url" type="url" data-testid="stand-in-url" placeholder=page_origin.clone()
                        prop:value=move || settings.with(|s| s.stand_in_url.clone())
                        on:input=move |ev| settings.update(|s| s.stand_in_url = event_target_value(&ev)) />
                    <p class="ths-hint">"Empty: the server this page came from."</p>
                </div>
                <KeyInput id="ths-stand-in-key" testid="stand-in-key" label="Stand-in key"
                    hint="Pre-filled with the key the stand-in accepts by default."
                    value=Signal::derive(move || settings.with(|s| s.stand_in_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.stand_in_key = v)) />
            </Show>

            <Show when=move || kind() == EndpointKind::Segmind>
                <KeyInput id="ths-segmind-key" testid="segmind-key" label="Segmind API key"
                    hint="Sent only to api.segmind.com, in the x-api-key header; not saved."
                    value=Signal::derive(move || settings.with(|s| s.segmind_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.segmind_key = v)) />
            </Show>

            <Show when=move || kind() == EndpointKind::Proxy>
                <div class="ths-field">
                    <label for="ths-proxy-url">"Proxy URL"</label>
                    <input id="ths-proxy-url" type="url" data-testid="proxy-url" placeholder="https://your-server.example/segmind"
                        prop:value=move || settings.with(|s| s.proxy_url.clone())
                        on:input=move |ev| settings.update(|s| s.proxy_url = event_target_value(&ev)) />
                    <p class="ths-hint">"Replaces https://api.segmind.com; the proxy adds the key on its server."</p>
                </div>
                <KeyInput id="ths-proxy-key" testid="proxy-key" label="Proxy key (optional)"
                    hint="Only if your proxy asks for one; sent to the proxy only."
                    value=Signal::derive(move || settings.with(|s| s.proxy_key.clone()))
                    on_input=Callback::new(move |v| settings.update(|s| s.proxy_key = v)) />
            </Show>

            <p class="ths-field-error" role="alert" data-testid="error-endpoint-url" hidden=move || url_message().is_none()>
                {url_message}
            </p>
            <p class="ths-field-error" role="alert" data-testid="error-api-key" hidden=move || key_message().is_none()>
                {key_message}
            </p>
        </fieldset>
    }
}

/// A masked key field: never autocompleted, never spell-checked (which could send it away).
#[component]
fn KeyInput(
    id: &'static str,
    testid: &'static str,
    label: &'static str,
    hint: &'static str,
    value: Signal<String>,
    on_input: Callback<String>,
) -> impl IntoView {
    view! {
        <div class="ths-field">
            <label for=id>{label}</label>
            <input id=id type="password" autocomplete="off" spellcheck="false" data-testid=testid
                prop:value=move || value.get()
                on:input=move |ev| on_input.run(event_target_value(&ev)) />
            <p class="ths-hint">{hint}</p>
        </div>
    }
}
