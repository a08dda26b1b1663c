//! What an operator sees: one access-log line per request, written when its
//! answer has been sent (method, path, route, status, bytes, ms; never a
//! key, a query or a body), and Prometheus metrics: requests by route and
//! status, runs submitted, refusals by reason, upstream latency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use futures_util::StreamExt;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// The process's metrics recorder (installed once; every proxy in it shares it).
pub(crate) fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding program): then ours only renders empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// One answered request, as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub method: String,
    pub path: String,
    pub route: &'static str,
    pub status: u16,
    /// Whether the client sent an `x-api-key` of its own (never forwarded).
    pub client_sent_key: bool,
}

pub(crate) struct AccessLog {
    method: String,
    path: String,
    started: Instant,
    client_sent_key: bool,
}

#[derive(Clone, Default)]
struct ByteCounter(Arc<AtomicUsize>);

/// Logs when the streamed body is finished (or dropped by a client that left).
struct StreamDone {
    record: Record,
    started: Instant,
    bytes: ByteCounter,
}

impl Drop for StreamDone {
    fn drop(&mut self) {
        let bytes = self.bytes.0.load(Ordering::Relaxed);
        let record = &self.record;
        tracing::info!(
            target: "access",
            method = %record.method,
            path = %record.path,
            route = record.route,
            status = record.status,
            bytes,
            ms = self.started.elapsed().as_millis() as u64,
            client_sent_key = record.client_sent_key,
        );
    }
}

impl AccessLog {
    pub(crate) fn start(request: &Request) -> AccessLog {
        // The path only: a query could carry anything.
        let path: String = request.uri().path().chars().take(200).collect();
        AccessLog { method: request.method().to_string(), path, started: Instant::now(), client_sent_key: request.headers().contains_key("x-api-key") }
    }

    pub(crate) fn finish(self, state: &AppState, route: &'static str, response: Response) -> Response {
        let record = Record { method: self.method, path: self.path, route, status: response.status().as_u16(), client_sent_key: self.client_sent_key };
        metrics::counter!("proxy_requests_total", "route" => route, "status" => record.status.to_string()).increment(1);
        #[cfg(feature = "test-hooks")]
        if let Ok(mut records) = state.records.lock() {
            records.push(record.clone());
        }
        #[cfg(not(feature = "test-hooks"))]
        let _ = state;
        let (parts, body) = response.into_parts();
        let done = StreamDone { record, started: self.started, bytes: ByteCounter::default() };
        let bytes = done.bytes.clone();
        // A body still streaming when the shutdown deadline passes is cut there.
        let stream = body.into_data_stream().take_until(crate::deadline_passed(state.hard_stop.clone())).map(move |chunk| {
            let _keep = &done;
            if let Ok(data) = &chunk {
                bytes.0.fetch_add(data.len(), Ordering::Relaxed);
            }
            chunk
        });
        Response::from_parts(parts, Body::from_stream(stream))
    }
}
