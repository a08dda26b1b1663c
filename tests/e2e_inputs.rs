//! End to end, in real Chromium against the stand-in: local files as inputs
//! (picker, drop, paste), their checks before anything is sent, the WAV
//! conversion, and both routes to the model (upload first, or inline).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use support::{duration_of, repo_path, stand_in_with, Browser};

fn media(name: &str) -> std::path::PathBuf {
    repo_path(&format!("media/generated/{name}"))
}

async fn start() -> (stand_in::Running, Browser) {
    let stand_in = stand_in_with(|c| c.delay = Duration::from_millis(200)).await;
    let browser = Browser::open(&stand_in.url()).await;
    (stand_in, browser)
}

/// Chooses a file with the field's file picker, as a person would.
async fn pick(browser: &Browser, field: &str, file: &str) {
    let input = browser.find(&format!("{field}-file")).await;
    input.send_keys(&media(file).display().to_string()).await.unwrap_or_else(|e| panic!("choose {file}: {e}"));
}

/// Drops (or pastes) a file fetched from the stand-in's samples onto the field.
async fn drop_file(browser: &Browser, field: &str, sample: &str, mime: &str, event: &str) {
    let script = format!(
        "const blob = await (await fetch('/samples/{sample}')).blob();
         const data = new DataTransfer();
         data.items.add(new File([blob], '{sample}', {{ type: '{mime}' }}));
         const zone = document.querySelector('[data-testid={field}-drop]');
         const event = '{event}' === 'paste'
           ? new ClipboardEvent('paste', {{ clipboardData: data, bubbles: true, cancelable: true }})
           : new DragEvent('drop', {{ dataTransfer: data, bubbles: true, cancelable: true }});
         zone.dispatchEvent(event);
         return true;"
    );
    browser.js(&format!("return (async () => {{ {script} }})();")).await;
}

/// Picks the route for local files in the advanced settings.
async fn choose_route(browser: &Browser, route: &str) {
    browser.js("document.querySelector('.ths-advanced').open = true; return true;").await;
    browser.click(&format!("route-{route}")).await;
}

/// What the stand-in received for the two inputs of the last run, by either
/// route: the uploaded files, or the data: URIs inside the request.
fn received_inputs(stand_in: &stand_in::Running, route: &str) -> (Vec<u8>, Vec<u8>) {
    if route == "upload" {
        let uploaded = stand_in.uploaded();
        assert_eq!(uploaded.len(), 2, "both files went through upload-asset");
        let body: Value = serde_json::from_slice(&stand_in.last_body().expect("a run")).expect("JSON body");
        assert!(body["input_image"].as_str().is_some_and(|u| u.contains("/assets/")), "the run used the uploaded URLs: {body}");
        (uploaded[0].to_vec(), uploaded[1].to_vec())
    } else {
        assert!(stand_in.uploaded().is_empty(), "nothing was uploaded on the inline route");
        let body: Value = serde_json::from_slice(&stand_in.last_body().expect("a run")).expect("JSON body");
        let field = |name: &str| decoded_data_uri(body[name].as_str().unwrap_or_else(|| panic!("inline {name}")));
        (field("input_image"), field("input_audio"))
    }
}

fn decoded_data_uri(uri: &str) -> Vec<u8> {
    let payload = uri.split_once(',').map(|(_, p)| p).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.decode(payload).expect("base64")
}

#[tokio::test(flavor = "multi_thread")]
async fn picked_files_are_previewed_and_arrive_byte_for_byte_by_both_routes() {
    for route in ["upload", "inline"] {
        let (stand_in, browser) = start().await;
        choose_route(&browser, route).await;
        pick(&browser, "input_image", "portrait.jpg").await;
        pick(&browser, "input_audio", "voice.mp3").await;
        let image = browser.wait_for_text("input_image-summary", "512×512 px").await;
        assert!(image.contains("portrait.jpg") && image.contains("KB"), "{image}");
        let audio = browser.wait_for_text("input_audio-summary", " s ·").await;
        assert!(audio.contains("voice.mp3"), "{audio}");
        let width = browser.js("return document.querySelector('[data-testid=input_image-preview]').naturalWidth;").await;
        assert_eq!(width, json!(512), "the thumbnail shows the photo");

        browser.click("generate").await;
        assert_eq!(browser.wait_for_video().await, json!(256), "{route}");
        let (image, audio) = received_inputs(&stand_in, route);
        assert_eq!(image, std::fs::read(media("portrait.jpg")).expect("file"), "{route}: the portrait arrived byte for byte");
        assert_eq!(audio, std::fs::read(media("voice.mp3")).expect("file"), "{route}: the voice arrived byte for byte");

        browser.click("input_image-clear").await;
        assert_eq!(browser.find("input_image").await.is_displayed().await.ok(), Some(true), "the URL box is back");
        browser.stop().await;
        stand_in.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_and_pasted_files_arrive_byte_for_byte_by_both_routes() {
    for route in ["inline", "upload"] {
        let (stand_in, browser) = start().await;
        choose_route(&browser, route).await;
        drop_file(&browser, "input_audio", "voice.wav", "audio/wav", "drop").await;
        drop_file(&browser, "input_image", "portrait.jpg", "image/jpeg", "paste").await;
        browser.wait_for_text("input_image-summary", "512×512").await;
        browser.wait_for_text("input_audio-summary", "voice.wav").await;
        browser.click("generate").await;
        assert_eq!(browser.wait_for_video().await, json!(256), "{route}");
        let (image, audio) = received_inputs(&stand_in, route);
        assert_eq!(image, std::fs::read(media("portrait.jpg")).expect("file"), "{route}");
        assert_eq!(audio, std::fs::read(media("voice.wav")).expect("file"), "{route}");
        browser.stop().await;
        stand_in.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_in_webm_is_converted_to_a_wav_of_the_same_length() {
    let (stand_in, browser) = start().await;
    pick(&browser, "input_audio", "voice.webm").await;
    let note = browser.wait_for_text("input_audio-note", "Converted from WebM to WAV").await;
    assert!(note.contains("WAV or MP3"), "{note}");
    browser.click("generate").await;
    browser.wait_for_video().await;
    let uploaded = stand_in.uploaded();
    let wav = uploaded.last().expect("the voice was uploaded");
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");

    let sent = duration_of(wav);
    let original = duration_of(&std::fs::read(media("voice.wav")).expect("file"));
    assert!((sent - original).abs() < 0.1, "the WAV is as long as the recording: {sent} s vs {original} s");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_files_are_explained_at_their_field_and_nothing_is_sent() {
    let (stand_in, browser) = start().await;
    pick(&browser, "input_image", "not-an-image.pdf").await;
    let message = browser.wait_for_text("error-input_image", "PDF document").await;
    assert!(message.contains("not an image"), "{message}");
    pick(&browser, "input_audio", "silence.wav").await;
    browser.wait_for_text("error-input_audio", "silent").await;
    assert!(browser.find("generate").await.attr("disabled").await.ok().flatten().is_some(), "Generate is disabled");

    pick(&browser, "input_image", "tiny.png").await;
    let small = browser.wait_for_text("error-input_image", "too small").await;
    assert!(small.contains("64×64"), "{small}");
    pick(&browser, "input_audio", "portrait.jpg").await;
    browser.wait_for_text("error-input_audio", "not audio").await;
    assert!(stand_in.seen().is_empty() && stand_in.uploaded().is_empty(), "nothing reached the stand-in");
    browser.stop().await;
    stand_in.stop().await;
}

/// The camera's and the microphone's code is fetched by the first click on
/// "Use camera" (the page's own build splits it off); Cancel closes the
/// camera and gives the button back.
#[tokio::test(flavor = "multi_thread")]
async fn the_capture_code_comes_with_the_first_click_and_cancel_gives_the_button_back() {
    let (stand_in, browser) = start().await;
    let capture_fetched = "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/split_capture_part.wasm'));";
    browser.find("input_image-file").await;
    assert_eq!(browser.js(capture_fetched).await, json!(false), "no capture code before a click");
    browser.click("camera-open").await;
    browser
        .wait_until("the camera to show", "const v = document.querySelector('[data-testid=camera-live]'); return !!v && v.videoWidth > 0;")
        .await;
    assert_eq!(browser.js(capture_fetched).await, json!(true), "the click fetched the capture code");
    browser.click("camera-cancel").await;
    browser
        .wait_until(
            "the camera to close",
            "const b = document.querySelector('[data-testid=camera-open]'); return !document.querySelector('[data-testid=camera-live]') && !!b && !b.hidden;",
        )
        .await;
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_camera_snapshot_and_a_microphone_recording_make_a_video_by_both_routes() {
    for route in ["upload", "inline"] {
        let (stand_in, browser) = start().await;
        choose_route(&browser, route).await;
        browser.click("camera-open").await;
        browser
            .wait_until("the camera to show", "const v = document.querySelector('[data-testid=camera-live]'); return !!v && v.videoWidth > 0;")
            .await;
        browser.click("camera-shoot").await;
        let photo = browser.wait_for_text("input_image-summary", "camera.png").await;
        assert!(photo.contains("640×480 px"), "Chromium's fake camera is 640×480: {photo}");

        browser.click("mic-record").await;
        browser.find("mic-level").await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        browser.click("mic-stop").await;
        browser.wait_for_text("input_audio-note", "Converted from WebM to WAV").await;
        browser.click("generate").await;
        assert_eq!(browser.wait_for_video().await, json!(256), "{route}");

        let (png, wav) = received_inputs(&stand_in, route);
        assert_eq!(&png[..4], &[0x89, b'P', b'N', b'G'], "the snapshot is a PNG");
        assert_eq!((&wav[0..4], &wav[8..12]), (&b"RIFF"[..], &b"WAVE"[..]), "the recording arrives as WAV");
        let secs = duration_of(&wav);
        assert!((2.0..4.0).contains(&secs), "a valid WAV as long as the recording (~2.5 s): {secs}");
        browser.stop().await;
        stand_in.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chosen_files_survive_a_reload() {
    let (stand_in, browser) = start().await;
    pick(&browser, "input_image", "portrait.jpg").await;
    pick(&browser, "input_audio", "voice.webm").await;
    browser.wait_for_text("input_image-summary", "512×512").await;
    browser.wait_for_text("input_audio-note", "Converted").await;
    browser.reload().await;
    browser.wait_for_text("input_image-summary", "portrait.jpg").await;
    browser.wait_for_text("input_audio-summary", "voice.webm").await;
    browser.click("input_image-clear").await;
    browser.reload().await;
    browser.wait_for_text("input_audio-summary", "voice.webm").await;
    let image_kept = browser.js("return !!document.querySelector('[data-testid=input_image-summary]');").await;
    assert_eq!(image_kept, json!(false), "a cleared file stays cleared");
    browser.stop().await;
    stand_in.stop().await;
}

/// Drops a ~19 MB WAV made in the page (slow to check: decoded and scanned),
/// then, at once, does `then` (another drop, or a Clear).
async fn drop_big_wav_then(browser: &Browser, then: &str) {
    let script = format!(
        "const rate = 48000, channels = 2, frames = rate * 100;
         const buffer = new ArrayBuffer(44 + frames * channels * 2);
         const view = new DataView(buffer);
         const text = (at, s) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
         text(0, 'RIFF'); view.setUint32(4, 36 + frames * channels * 2, true); text(8, 'WAVE');
         text(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, channels, true);
         view.setUint32(24, rate, true); view.setUint32(28, rate * channels * 2, true); view.setUint16(32, channels * 2, true);
         view.setUint16(34, 16, true); text(36, 'data'); view.setUint32(40, frames * channels * 2, true);
         const samples = new Int16Array(buffer, 44);
         for (let i = 0; i < samples.length; i++) samples[i] = Math.sin(i * 0.05) * 8000;
         const small = await (await fetch('/samples/voice.mp3')).blob();
         const zone = document.querySelector('[data-testid=input_audio-drop]');
         const drop = (file) => {{
           const data = new DataTransfer();
           data.items.add(file);
           zone.dispatchEvent(new DragEvent('drop', {{ dataTransfer: data, bubbles: true, cancelable: true }}));
         }};
         drop(new File([buffer], 'big.wav', {{ type: 'audio/wav' }}));
         {then}
         return true;"
    );
    browser.js(&format!("return (async () => {{ {script} }})();")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_choice_wins_over_a_slower_check_and_clear_always_wins() {
    let (stand_in, browser) = start().await;
    // A slow check (the big file) must not overwrite the newer, quicker one.
    drop_big_wav_then(&browser, "drop(new File([small], 'voice.mp3', { type: 'audio/mpeg' }));").await;
    browser.wait_for_text("input_audio-summary", "voice.mp3").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await; // the big file's check has long ended
    let summary = browser.text("input_audio-summary").await;
    assert!(summary.contains("voice.mp3") && !summary.contains("big.wav"), "the last choice stands: {summary}");

    // Clear while a check runs: nothing comes back.
    browser.click("input_audio-clear").await;
    drop_big_wav_then(&browser, "document.querySelector('[data-testid=input_audio-clear]').click();").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let left = browser.js("return !!document.querySelector('[data-testid=input_audio-summary]') || !!document.querySelector('[data-testid=input_audio-refused]');").await;
    assert_eq!(left, json!(false), "Clear won over the check that was running");
    assert_eq!(browser.js("return localStorage.getItem('talking-head-studio.input.input_audio.v1');").await, Value::Null, "and nothing is kept for a reload");
    browser.reload().await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(browser.js("return !!document.querySelector('[data-testid=input_audio-summary]');").await, json!(false));
    browser.stop().await;
    stand_in.stop().await;
}

/// Moves a trim handle as a person would drag it (the range input's value, then its input event).
async fn set_handle(browser: &Browser, handle: &str, seconds: &str) {
    browser
        .js(&format!(
            "const r = document.querySelector('[data-testid=trim-{handle}]'); r.value = '{seconds}'; r.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;"
        ))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trimmed_voice_is_sent_as_the_kept_stretch_by_both_routes_and_kept_across_a_reload() {
    for route in ["upload", "inline"] {
        let (stand_in, browser) = start().await;
        choose_route(&browser, route).await;
        pick(&browser, "input_image", "portrait.jpg").await;
        pick(&browser, "input_audio", "voice.wav").await;
        browser.find("trim").await;
        set_handle(&browser, "start", "2.0").await;
        set_handle(&browser, "end", "4.0").await;
        browser.wait_for_text("trim-kept", "2.0 s kept · 50 frames").await;
        // The estimate follows the kept length.
        browser.wait_for_text("estimate", "for 50 frames").await;
        if route == "inline" {
            browser.reload().await;
            browser.find("trim").await;
            browser.wait_for_text("trim-kept", "2.0 s kept · 50 frames").await;
            choose_route(&browser, route).await;
        }
        browser.click("generate").await;
        browser.wait_for_video().await;
        let (_, audio) = received_inputs(&stand_in, route);
        let seconds = duration_of(&audio);
        assert!((seconds - 2.0).abs() <= 0.04, "{route}: the stand-in measured {seconds} s (2.0 ± one frame)");
        assert_eq!(&audio[..4], b"RIFF", "{route}: sent as WAV");
        browser.stop().await;
        stand_in.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trim_silence_keeps_the_speech_and_drops_the_silence() {
    let (stand_in, browser) = start().await;
    choose_route(&browser, "inline").await;
    pick(&browser, "input_image", "portrait.jpg").await;
    pick(&browser, "input_audio", "voice-padded.wav").await;
    browser.find("trim").await;
    browser.click("trim-silence").await;
    browser.wait_until("a trim", "return !document.querySelector('[data-testid=trim-kept]').textContent.startsWith('10.');").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    let (_, audio) = received_inputs(&stand_in, "inline");
    let sent = duration_of(&audio);
    let speech = duration_of(&std::fs::read(media("voice.wav")).expect("voice.wav"));
    let padded = duration_of(&std::fs::read(media("voice-padded.wav")).expect("voice-padded.wav"));
    assert!(sent < padded - 1.5, "the silence went: sent {sent} s of {padded} s");
    assert!(sent >= speech - 0.3, "the speech stayed: sent {sent} s, speech {speech} s");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_code_panel_says_a_trimmed_clip_lives_in_the_page() {
    let (stand_in, browser) = start().await;
    pick(&browser, "input_audio", "voice.wav").await;
    browser.find("trim").await;
    set_handle(&browser, "start", "2.0").await;
    set_handle(&browser, "end", "4.0").await;
    browser.js("document.querySelector('[data-testid=code-panel]').open = true; return true;").await;
    let code = browser.wait_for_text("code", "2.0–4.0 s").await;
    assert!(code.contains("voice.wav") && code.contains("cut in the studio page"), "{code}");
    browser.stop().await;
    stand_in.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_voice_given_by_address_is_trimmed_the_same_way() {
    let (stand_in, browser) = start().await;
    // The form starts with the sample voice's address; the page reads it in to trim it.
    browser.click("voice-trim").await;
    browser.find("trim").await;
    set_handle(&browser, "start", "1.0").await;
    set_handle(&browser, "end", "3.5").await;
    browser.wait_for_text("trim-kept", "2.5 s kept").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    let uploaded = stand_in.uploaded();
    assert_eq!(uploaded.len(), 1, "the trimmed clip went through upload-asset (the portrait stays an address)");
    let seconds = duration_of(&uploaded[0]);
    assert!((seconds - 2.5).abs() <= 0.04, "the stand-in measured {seconds} s (2.5 ± one frame)");
    browser.stop().await;
    stand_in.stop().await;
}

/// A big plain WAV is measured from its header and checked from slices of
/// the file: the browser never decodes it whole (that held the page for
/// ~200 ms a clip), and its trim is the file's own samples behind a new header.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_wav_is_checked_in_slices_without_decoding_and_its_trim_is_its_own_samples() {
    let (stand_in, browser) = start().await;
    choose_route(&browser, "upload").await;
    pick(&browser, "input_image", "portrait.jpg").await;
    browser
        .js("window.__decodes = 0; const decode = BaseAudioContext.prototype.decodeAudioData;
             BaseAudioContext.prototype.decodeAudioData = function (...args) { window.__decodes += 1; return decode.apply(this, args); };
             return true;")
        .await;
    drop_big_wav_then(&browser, "").await;
    let summary = browser.wait_for_text("input_audio-summary", "big.wav").await;
    assert!(summary.contains("100.0 s"), "its length, from the header: {summary}");
    assert_eq!(browser.js("return window.__decodes;").await, json!(0), "the WAV was not decoded");
    // The waveform came from the slices: the trim editor finds speech-like sound everywhere.
    browser.find("trim").await;
    set_handle(&browser, "start", "10.0").await;
    set_handle(&browser, "end", "12.5").await;
    browser.wait_for_text("trim-kept", "2.5 s kept").await;
    browser.click("generate").await;
    browser.wait_for_video().await;
    let (_, audio) = received_inputs(&stand_in, "upload");
    let (rate, channels, first) = (48_000usize, 2usize, 10 * 48_000usize);
    assert_eq!(audio.len(), 44 + rate * 5 / 2 * channels * 2, "a 44-byte header and 2.5 s of 16-bit stereo");
    assert_eq!((&audio[..4], &audio[8..16], &audio[36..40]), (&b"RIFF"[..], &b"WAVEfmt "[..], &b"data"[..]));
    for (i, sample) in audio[44..].chunks_exact(2).enumerate() {
        // The page made sample k as sin(k · 0.05) · 8000 (JS and Rust may differ by one step).
        let made = ((((first * channels + i) as f64) * 0.05).sin() * 8000.0) as i16;
        let sent = i16::from_le_bytes([sample[0], sample[1]]);
        assert!((i32::from(sent) - i32::from(made)).abs() <= 1, "sample {i}: sent {sent}, the file had {made}");
    }
    browser.stop().await;
    stand_in.stop().await;
}
