//! Getting an input's bytes: a `data:` URI or bare base64 is decoded; an
//! http(s) URL is fetched, from this machine only, so the stand-in can
//! never be used to reach out to the network.

use std::net::IpAddr;

use base64::Engine;

/// Largest input fetched or decoded.
const MAX_INPUT_BYTES: usize = 30 * 1024 * 1024;

pub async fn load(http: &reqwest::Client, field: &str, uri: &str) -> Result<Vec<u8>, String> {
    let uri = uri.trim();
    let lower_start = uri.get(..8).unwrap_or(uri).to_ascii_lowercase();
    if lower_start.starts_with("data:") {
        let (header, payload) = uri.split_once(',').ok_or_else(|| format!("{field} is a data: URI without a comma"))?;
        if !header.to_ascii_lowercase().ends_with(";base64") {
            return Err(format!("{field} must be a base64 data: URI"));
        }
        return decode(field, payload);
    }
    if lower_start.starts_with("http://") || lower_start.starts_with("https://") {
        return fetch(http, field, uri).await;
    }
    decode(field, uri)
}

fn decode(field: &str, payload: &str) -> Result<Vec<u8>, String> {
    let cleaned: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if cleaned.len() / 4 * 3 > MAX_INPUT_BYTES {
        return Err(format!("{field} is larger than {} MB", MAX_INPUT_BYTES / 1024 / 1024));
    }
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| format!("{field} is neither a URL nor valid base64 ({e})"))
}

async fn fetch(http: &reqwest::Client, field: &str, uri: &str) -> Result<Vec<u8>, String> {
    let url = url::Url::parse(uri).map_err(|e| format!("{field} is not a valid URL ({e})"))?;
    if !is_loopback(&url) {
        return Err(format!(
            "{field}: the local stand-in only fetches URLs on this machine (127.0.0.1 or localhost); send the file inline instead"
        ));
    }
    let response = http.get(url).send().await.map_err(|e| format!("{field} could not be fetched: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{field} could not be fetched: the server answered {}", response.status()));
    }
    if response.content_length().is_some_and(|n| n as usize > MAX_INPUT_BYTES) {
        return Err(format!("{field} is larger than {} MB", MAX_INPUT_BYTES / 1024 / 1024));
    }
    let bytes = response.bytes().await.map_err(|e| format!("{field} could not be read: {e}"))?;
    Ok(bytes.to_vec())
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_uris_and_bare_base64_decode_to_their_bytes() {
        let http = reqwest::Client::new();
        assert_eq!(load(&http, "input_image", "data:image/png;base64,AAEC").await, Ok(vec![0, 1, 2]));
        assert_eq!(load(&http, "input_image", "AAEC").await, Ok(vec![0, 1, 2]));
        let err = load(&http, "input_audio", "data:text/plain,hello").await.unwrap_err();
        assert!(err.contains("base64"), "{err}");
        let err = load(&http, "input_audio", "not base64 at all!").await.unwrap_err();
        assert!(err.starts_with("input_audio"), "{err}");
    }

    #[tokio::test]
    async fn remote_urls_are_refused() {
        let http = reqwest::Client::new();
        for uri in ["https://example.com/a.png", "http://10.0.0.1/a.png", "http://127.0.0.1.example.com/x"] {
            let err = load(&http, "input_image", uri).await.unwrap_err();
            assert!(err.contains("only fetches URLs on this machine"), "{uri}: {err}");
        }
    }
}
