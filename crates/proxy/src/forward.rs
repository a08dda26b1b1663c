//! Forwarding one routed request upstream with the operator's key, and its
//! answer back. Request bodies are held in memory up to the size limit,
//! within a byte budget shared by all requests (so a submission is refused
//! whole before the upstream sees a byte, and memory stays bounded);
//! answers stream back chunk by chunk.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::routes::Route;
use crate::{json_error, AppState};

/// Response headers passed back to the page.
const PASSED_BACK: [HeaderName; 3] = [header::CONTENT_TYPE, header::CONTENT_LENGTH, header::RETRY_AFTER];
const PASSED_BACK_CUSTOM: [&str; 3] = ["x-remaining-credits", "x-credits-consumed", "x-stand-in"];

pub fn too_large(limit: usize) -> Response {
    json_error(StatusCode::PAYLOAD_TOO_LARGE, format!("The request body is larger than this proxy's limit of {} MB", limit / 1024 / 1024))
}

/// How much of a refused body is read and thrown away, and for how long, so
/// that a client still sending it gets to read the 413 instead of a broken
/// pipe. Nothing of it is kept.
const DRAIN_BYTES: usize = 256 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The request's body, read within the limits (size, time, shared memory).
pub async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<(Bytes, tokio::sync::OwnedSemaphorePermit), Response> {
    let limit = state.config.max_body_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let mut chunks = body.into_data_stream();
    if declared > Some(limit) {
        drain(&mut chunks).await;
        return Err(too_large(limit));
    }
    // Memory for bodies is shared: a request takes its size (in KB) from the budget first.
    let kb = (declared.unwrap_or(limit) / 1024 + 1).min(state.body_budget_kb as usize) as u32;
    let permit = state
        .body_memory
        .clone()
        .try_acquire_many_owned(kb)
        .map_err(|_| json_error(StatusCode::SERVICE_UNAVAILABLE, "The proxy is busy receiving other uploads; try again shortly"))?;
    let read = async {
        let mut kept = Vec::with_capacity(declared.unwrap_or(0));
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| json_error(StatusCode::BAD_REQUEST, "The request body was cut off before its end"))?;
            if kept.len() + chunk.len() > limit {
                drop(kept);
                drain(&mut chunks).await;
                return Err(too_large(limit));
            }
            kept.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(kept))
    };
    match tokio::time::timeout(state.config.body_read_timeout, read).await {
        Ok(Ok(bytes)) => Ok((bytes, permit)),
        Ok(Err(refused)) => Err(refused),
        Err(_) => Err(json_error(StatusCode::REQUEST_TIMEOUT, "The request body arrived too slowly")),
    }
}

/// Reads and discards what is left of a refused body, within `DRAIN_BYTES`
/// and `DRAIN_TIME`.
async fn drain(chunks: &mut axum::body::BodyDataStream) {
    let discard = async {
        let mut seen = 0usize;
        while let Some(Ok(chunk)) = chunks.next().await {
            seen += chunk.len();
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
}

/// Sends the routed request upstream and returns its answer for the client.
pub async fn forward(state: Arc<AppState>, route: &Route, content_type: Option<HeaderValue>, body: Bytes, public_base: &str) -> Response {
    let base = if *route == Route::Upload { &state.config.upload_upstream } else { &state.config.upstream };
    let target = format!("{base}{}", route.upstream_path());
    let method = if matches!(route, Route::SubmitOneShot | Route::SubmitJob | Route::Upload) { Method::POST } else { Method::GET };
    let mut upstream = state.http.request(method.clone(), &target).header("x-api-key", state.config.api_key.expose());
    if let Some(content_type) = content_type {
        upstream = upstream.header(header::CONTENT_TYPE, content_type);
    }
    if method == Method::POST {
        upstream = upstream.body(body);
    }
    let started = Instant::now();
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(e) if e.is_timeout() => return json_error(StatusCode::GATEWAY_TIMEOUT, "The upstream took too long"),
        Err(_) => return json_error(StatusCode::BAD_GATEWAY, "The proxy could not reach the upstream"),
    };
    metrics::histogram!("proxy_upstream_seconds", "route" => route.label()).record(started.elapsed().as_secs_f64());

    let status = answer.status();
    let mut headers = HeaderMap::new();
    for name in PASSED_BACK {
        if let Some(value) = answer.headers().get(&name) {
            headers.insert(name, value.clone());
        }
    }
    for name in PASSED_BACK_CUSTOM {
        if let Some(value) = answer.headers().get(name) {
            headers.insert(HeaderName::from_static(name), value.clone());
        }
    }

    // v2's status/response URLs point at the upstream; point them back here.
    if *route == Route::SubmitJob && status.is_success() {
        let bytes = match answer.bytes().await {
            Ok(bytes) => bytes,
            // The job was probably accepted (and will be charged): say so, never a 200 without its ticket.
            Err(_) => {
                return json_error(
                    StatusCode::BAD_GATEWAY,
                    "The upstream accepted the job but its answer could not be read: the run may have been charged; check your credits before trying again",
                )
            }
        };
        let body = rewrite_job_urls(&bytes, &state.config.upstream, public_base);
        headers.remove(header::CONTENT_LENGTH);
        let mut response = (status, headers, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return response;
    }

    // Everything else streams through chunk by chunk.
    (status, headers, Body::from_stream(answer.bytes_stream())).into_response()
}

/// Rewrites `status_url` / `response_url` that start with the upstream base
/// so that they name this proxy's public base instead.
pub fn rewrite_job_urls(body: &Bytes, upstream: &str, public_base: &str) -> Bytes {
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else { return body.clone() };
    for key in ["status_url", "response_url"] {
        if let Some(serde_json::Value::String(url)) = json.get_mut(key) {
            if let Some(rest) = url.strip_prefix(upstream) {
                *url = format!("{public_base}{rest}");
            }
        }
    }
    Bytes::from(json.to_string())
}

/// The proxy's public base URL for the v2 URLs it hands out: `--public-url`
/// when set; else, only with `--trust-forwarded`, what a reverse proxy says
/// (`X-Forwarded-Proto`, `-Host`, `-Prefix`); else the `Host` it was reached at.
pub fn public_base(config: &crate::Config, headers: &HeaderMap) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let text = |name: &str| headers.get(name).and_then(|h| h.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let host = text("host").unwrap_or("localhost");
    if config.trust_forwarded {
        let scheme = text("x-forwarded-proto").filter(|s| matches!(*s, "http" | "https")).unwrap_or("http");
        let host = text("x-forwarded-host").unwrap_or(host);
        let prefix = text("x-forwarded-prefix").map(|p| format!("/{}", p.trim_matches('/'))).filter(|p| p != "/").unwrap_or_default();
        return format!("{scheme}://{host}{prefix}");
    }
    format!("http://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_urls_point_back_at_the_proxy() {
        let body = Bytes::from(r#"{"request_id":"r1","status_url":"http://up.example/v2/requests/r1/status","response_url":"http://up.example/v2/requests/r1"}"#);
        let out: serde_json::Value = serde_json::from_slice(&rewrite_job_urls(&body, "http://up.example", "https://p.example/segmind")).expect("json");
        assert_eq!(out["status_url"], "https://p.example/segmind/v2/requests/r1/status");
        assert_eq!(out["response_url"], "https://p.example/segmind/v2/requests/r1");
        assert_eq!(out["request_id"], "r1");
    }

    #[test]
    fn forwarded_headers_count_only_when_trusted() {
        let mut config = crate::Config::new(crate::ApiKey::new("k").expect("key"));
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("10.0.0.5:8788"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("studio.example"));
        headers.insert("x-forwarded-prefix", HeaderValue::from_static("/api/"));
        assert_eq!(public_base(&config, &headers), "http://10.0.0.5:8788");
        config.trust_forwarded = true;
        assert_eq!(public_base(&config, &headers), "https://studio.example/api");
        config.public_url = Some("https://public.example/segmind".into());
        assert_eq!(public_base(&config, &headers), "https://public.example/segmind");
    }
}
