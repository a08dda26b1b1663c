//! WHATWG URL parsing behind one small interface: in the page it is the
//! browser's own `URL` (so no URL parser ships in the wasm), on the host the
//! `url` crate, which implements the same standard. The unit tests of
//! `request` and `endpoint` run against both.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The parts of a parsed absolute URL that the checks look at.
#[derive(Clone, Debug, PartialEq)]
pub struct WebUrl {
    /// Lower-case, without the colon: "https".
    pub scheme: String,
    /// Empty when the URL has none; IPv6 without brackets.
    pub host: String,
    pub has_credentials: bool,
    pub has_query_or_fragment: bool,
    /// The normalised form, as the browser would send it.
    pub href: String,
    /// `scheme://host[:port]` (default ports left out), as the browser
    /// compares origins; "null" for URLs without one (data:, blob:…).
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum UrlProblem {
    /// No `scheme:` at the start, as in `face.png` or `/samples/face.png`.
    Relative,
    /// Not a URL by the standard (bad port, bad host, ...).
    Invalid,
}

/// `true` when `text` starts with a scheme, `[a-z][a-z0-9+.-]*:`.
fn has_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
}

pub fn parse(text: &str) -> Result<WebUrl, UrlProblem> {
    if !has_scheme(text) {
        return Err(UrlProblem::Relative);
    }
    let url = backend::parse(text).ok_or(UrlProblem::Invalid)?;
    // Chromium percent-encodes a space in a host ("exa mple.com") where the
    // standard refuses it; refuse it in both, so the page and its tests agree.
    if url.host.contains(['%', ' ']) {
        return Err(UrlProblem::Invalid);
    }
    Ok(url)
}

/// Why a text is not a web (http/https) address, in words that finish
/// "must be a full URL such as https://example.com (…)".
#[derive(Clone, Debug, PartialEq)]
pub enum AddressProblem {
    Relative,
    Invalid,
    NotWeb(String),
    NoHost,
}

impl AddressProblem {
    pub fn reason(&self) -> String {
        match self {
            AddressProblem::Relative => "it has no http:// or https:// at the start".into(),
            AddressProblem::Invalid => "this one is not well formed".into(),
            AddressProblem::NotWeb(scheme) => format!("\"{scheme}:\" is not a web address"),
            AddressProblem::NoHost => "it names no host".into(),
        }
    }
}

/// An absolute http(s) URL with a host.
pub fn parse_web_address(text: &str) -> Result<WebUrl, AddressProblem> {
    let url = parse(text).map_err(|p| match p {
        UrlProblem::Relative => AddressProblem::Relative,
        UrlProblem::Invalid => AddressProblem::Invalid,
    })?;
    if !matches!(url.scheme.as_str(), "http" | "https") {
        return Err(AddressProblem::NotWeb(url.scheme));
    }
    if url.host.is_empty() {
        return Err(AddressProblem::NoHost);
    }
    Ok(url)
}

impl WebUrl {
    /// This machine, a private network, or a single-label name: places a
    /// hosted service can't fetch from.
    pub fn is_private_host(&self) -> bool {
        let host = self.host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return false; // data: and the like name no place at all
        }
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified();
        }
        if let Ok(ip) = host.parse::<Ipv6Addr>() {
            let first = ip.segments()[0];
            return ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80;
        }
        host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") || !host.contains('.')
    }
}

/// The origin of `text`, when it is an absolute URL that has one.
pub fn origin_of(text: &str) -> Option<String> {
    parse(text).ok().map(|u| u.origin).filter(|o| o != "null")
}

#[cfg(target_arch = "wasm32")]
mod backend {
    use super::WebUrl;

    pub fn parse(text: &str) -> Option<WebUrl> {
        let url = web_sys::Url::new(text).ok()?;
        let host = url.hostname();
        Some(WebUrl {
            scheme: url.protocol().trim_end_matches(':').to_ascii_lowercase(),
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            has_credentials: !url.username().is_empty() || !url.password().is_empty(),
            has_query_or_fragment: !url.search().is_empty() || !url.hash().is_empty() || url.href().contains('?'),
            href: url.href(),
            origin: url.origin(),
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod backend {
    use super::WebUrl;

    pub fn parse(text: &str) -> Option<WebUrl> {
        let url = url::Url::parse(text).ok()?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        Some(WebUrl {
            scheme: url.scheme().to_string(),
            host,
            has_credentials: !url.username().is_empty() || url.password().is_some(),
            has_query_or_fragment: url.query().is_some() || url.fragment().is_some(),
            href: url.to_string(),
            origin: url.origin().ascii_serialization(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn both_backends_agree_on_the_parts() {
        let url = parse("HTTPS://User:pw@Example.COM:8443/a b?x=1#f").expect("parses");
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "example.com");
        assert!(url.has_credentials && url.has_query_or_fragment);
        assert_eq!(url.href, "https://User:pw@example.com:8443/a%20b?x=1#f");
        let url = parse("http://[::1]:8787").expect("parses");
        assert_eq!((url.host.as_str(), url.href.as_str()), ("::1", "http://[::1]:8787/"));
        assert!(!url.has_credentials && !url.has_query_or_fragment);
        assert_eq!(url.origin, "http://[::1]:8787");
        assert_eq!(parse("HTTPS://API.segmind.com:443/v2/x?y").expect("parses").origin, "https://api.segmind.com");
        assert_eq!(parse("data:text/plain,hi").expect("parses").origin, "null");
    }

    #[test]
    fn relative_and_invalid_are_told_apart() {
        assert_eq!(parse("face.png"), Err(UrlProblem::Relative));
        assert_eq!(parse("/samples/face.png"), Err(UrlProblem::Relative));
        assert_eq!(parse("http://exa mple.com/"), Err(UrlProblem::Invalid));
        assert_eq!(parse("http://example.com:99999/"), Err(UrlProblem::Invalid));
        assert_eq!(parse("javascript:alert(1)").map(|u| u.scheme), Ok("javascript".into()));
    }

    #[test]
    fn private_hosts_are_recognised() {
        for text in ["http://127.0.0.1/", "http://localhost:1/", "http://10.0.0.2/", "http://[::1]/", "http://[fd00::1]/", "http://nas/", "http://a.local/"] {
            assert!(parse(text).expect("parses").is_private_host(), "{text}");
        }
        for text in ["https://example.com/", "http://8.8.8.8/", "http://[2001:db8::1]/"] {
            assert!(!parse(text).expect("parses").is_private_host(), "{text}");
        }
    }
}
