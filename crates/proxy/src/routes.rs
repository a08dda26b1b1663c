//! The only requests the proxy forwards, matched exactly. The path is taken
//! as the client sent it (still percent-encoded) and refused outright if it
//! holds anything but letters, digits, `-`, `_` and single slashes: no
//! encoded dots or slashes, no backslashes, no `;` parameters, no double
//! encoding can survive to be resolved by a URL parser on the way out. The
//! upstream URL is then rebuilt from the route itself, never from the
//! client's text, and the client's query is dropped.

use axum::http::Method;

/// A request id as the proxy accepts it (the provider's are UUID-like).
pub const MAX_ID_LEN: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/sadtalker`: one paid run.
    SubmitOneShot,
    /// `POST /v2/sadtalker`: one paid job.
    SubmitJob,
    /// `GET /v2/requests/{id}/status`.
    Status(String),
    /// `GET /v2/requests/{id}`.
    Result(String),
    /// `GET /v1/get-user-credits`.
    Credits,
    /// `POST /upload-asset` (the provider's storage, another host).
    Upload,
}

/// What a route costs, for the budgets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Starts a paid run.
    Run,
    /// A free read or an upload.
    Read,
}

impl Route {
    pub fn cost(&self) -> Cost {
        match self {
            Route::SubmitOneShot | Route::SubmitJob => Cost::Run,
            _ => Cost::Read,
        }
    }

    /// The path on the upstream (the upload goes to its own host).
    pub fn upstream_path(&self) -> String {
        match self {
            Route::SubmitOneShot => "/v1/sadtalker".into(),
            Route::SubmitJob => "/v2/sadtalker".into(),
            Route::Status(id) => format!("/v2/requests/{id}/status"),
            Route::Result(id) => format!("/v2/requests/{id}"),
            Route::Credits => "/v1/get-user-credits".into(),
            Route::Upload => "/upload-asset".into(),
        }
    }

    /// A label for metrics and logs (no ids: bounded cardinality).
    pub fn label(&self) -> &'static str {
        match self {
            Route::SubmitOneShot => "submit_v1",
            Route::SubmitJob => "submit_v2",
            Route::Status(_) => "status",
            Route::Result(_) => "result",
            Route::Credits => "credits",
            Route::Upload => "upload",
        }
    }
}

fn is_id(segment: &str) -> bool {
    !segment.is_empty() && segment.len() <= MAX_ID_LEN && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The route for a request, or `None` (a JSON 404 that never reaches the
/// upstream). `prefix` is the public URL's path prefix ("" or "/segmind"),
/// accepted in front of the API's paths.
pub fn route(method: &Method, raw_path: &str, prefix: &str) -> Option<Route> {
    let safe = raw_path.starts_with('/') && raw_path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'));
    if !safe || raw_path.contains("//") {
        return None;
    }
    let path = match raw_path.strip_prefix(prefix) {
        Some(rest) if !prefix.is_empty() && rest.starts_with('/') => rest,
        _ => raw_path,
    };
    let segments: Vec<&str> = path[1..].split('/').collect();
    let route = match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "sadtalker"]) => Route::SubmitOneShot,
        ("POST", ["v2", "sadtalker"]) => Route::SubmitJob,
        ("GET", ["v2", "requests", id, "status"]) if is_id(id) => Route::Status((*id).to_string()),
        ("GET", ["v2", "requests", id]) if is_id(id) => Route::Result((*id).to_string()),
        ("GET", ["v1", "get-user-credits"]) => Route::Credits,
        ("POST", ["upload-asset"]) => Route::Upload,
        _ => return None,
    };
    Some(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_apis_paths_and_nothing_else() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(route(&post, "/v1/sadtalker", ""), Some(Route::SubmitOneShot));
        assert_eq!(route(&post, "/v2/sadtalker", ""), Some(Route::SubmitJob));
        assert_eq!(route(&get, "/v2/requests/abc-123_X/status", ""), Some(Route::Status("abc-123_X".into())));
        assert_eq!(route(&get, "/v2/requests/abc", ""), Some(Route::Result("abc".into())));
        assert_eq!(route(&get, "/v1/get-user-credits", ""), Some(Route::Credits));
        assert_eq!(route(&post, "/upload-asset", ""), Some(Route::Upload));
        assert_eq!(route(&post, "/segmind/v2/sadtalker", "/segmind"), Some(Route::SubmitJob), "behind a path prefix");
        for (method, path) in [
            (&get, "/v1/sadtalker"),
            (&post, "/v1/flux-schnell"),
            (&post, "/v2/requests/%2e%2e/%2e%2e/v1/flux-schnell"),
            (&post, "/v2/requests/.%2e/.%2e/v1/sdxl"),
            (&get, "/v2/requests/%2E%2E/status"),
            (&get, "/v2/requests/..%2Fv1%2Fsdxl/status"),
            (&get, "/v2/requests/%252e%252e/status"),
            (&get, "/v2/requests/a\\..\\b/status"),
            (&get, "/v2/requests/a;x=1/status"),
            (&get, "/v2//requests/a/status"),
            (&get, "/v2/requests/../../v1/sdxl"),
            (&get, "/v2/requests/a/status/"),
            (&get, "/v2/requests//status"),
            (&post, "/v2/sadtalker/"),
            (&get, "/"),
            (&get, ""),
            (&get, "/health/../v1/sdxl"),
        ] {
            assert_eq!(route(method, path, ""), None, "{method} {path}");
        }
        assert_eq!(route(&get, &format!("/v2/requests/{}", "a".repeat(MAX_ID_LEN + 1)), ""), None);
    }

    #[test]
    fn upstream_paths_come_from_the_route_alone() {
        assert_eq!(Route::Status("r1".into()).upstream_path(), "/v2/requests/r1/status");
        assert_eq!(Route::SubmitJob.cost(), Cost::Run);
        assert_eq!(Route::Status("x".into()).cost(), Cost::Read);
    }

    /// The allow-list, as a check independent of the router's code.
    fn allowed(method: &str, path: &str) -> bool {
        let id_ok = |id: &str| !id.is_empty() && id.len() <= MAX_ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        match method {
            "POST" => ["/v1/sadtalker", "/v2/sadtalker", "/upload-asset"].contains(&path),
            "GET" => {
                path == "/v1/get-user-credits"
                    || path.strip_prefix("/v2/requests/").is_some_and(|rest| id_ok(rest) || rest.strip_suffix("/status").is_some_and(id_ok))
            }
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn generated_paths_route_only_inside_the_allow_list(
            parts in proptest::collection::vec(prop_oneof![
                Just("v1".to_string()), Just("v2".to_string()), Just("sadtalker".to_string()), Just("requests".to_string()),
                Just("status".to_string()), Just("..".to_string()), Just("%2e%2e".to_string()), Just("%2F".to_string()),
                Just(".%2E".to_string()), Just("%252e".to_string()), Just("\\".to_string()), Just(";a=b".to_string()),
                Just("".to_string()), Just("get-user-credits".to_string()), Just("upload-asset".to_string()), "[ -~]{0,6}",
            ], 0..7),
            post in any::<bool>(),
        ) {
            let path = format!("/{}", parts.join("/"));
            let method = if post { Method::POST } else { Method::GET };
            if let Some(found) = route(&method, &path, "") {
                prop_assert!(allowed(method.as_str(), &path), "{} {} routed to {:?}", method, path, found);
                prop_assert_eq!(found.upstream_path(), path);
            }
        }
    }
}
