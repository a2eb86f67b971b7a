//! What keeps a web page the user happens to visit from using the registry: JSON-only request bodies, writes only from the server's own origin, and the Host checked on a loopback bind (DNS rebinding).
//!
//! A browser sends a cross-site POST without asking first (no CORS
//! preflight) only with a CORS-safelisted content type (`text/plain`, a
//! form, or none at all from a `Blob`). Refusing those bodies, and any
//! unsafe method whose `Origin` is another site, closes that door; the
//! server sends no CORS headers, so a foreign page cannot read answers
//! either. Confluent's clients send JSON media types and no `Origin`.

use axum::extract::Request;
use axum::http::{Method, header};

use crate::AppState;
use crate::error::ApiError;

/// The media types a request body may have: Confluent's, JSON, raw bytes as
/// Confluent accepts them, and NDJSON for `/validate/batch`.
pub const BODY_MEDIA_TYPES: [&str; 5] = [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
    "application/x-ndjson",
];

/// `host[:port]` of an origin (`http://127.0.0.1:8081` → `127.0.0.1:8081`).
fn origin_authority(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    Some(rest.trim_end_matches('/'))
}

/// Whether `host` (a Host header, `name[:port]`) names this machine's loopback.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(n, p)| {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                n
            } else {
                host
            }
        })
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn refuse(req: &Request) -> Option<ApiError> {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("null");
            let same = origin_authority(origin)
                .zip(host)
                .is_some_and(|(o, h)| o.eq_ignore_ascii_case(h));
            if !same {
                return Some(ApiError::Forbidden(format!(
                    "{} {}: requests from origin {origin:?} may not change this registry (only its own origin may)",
                    req.method(),
                    req.uri().path()
                )));
            }
        }
        if headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
        {
            return Some(ApiError::Forbidden(format!(
                "{} {}: cross-site requests may not change this registry",
                req.method(),
                req.uri().path()
            )));
        }
    }
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "0")
        || headers.contains_key(header::TRANSFER_ENCODING)
        || headers.contains_key(header::CONTENT_TYPE);
    // The UI's forms post `application/x-www-form-urlencoded`; they are
    // guarded by the Origin check above, the session cookie's
    // SameSite=Strict and a CSRF token in every form (`ui::form`).
    let ui = req.uri().path().starts_with("/ui/");
    if has_body && !safe && !ui {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !BODY_MEDIA_TYPES.contains(&essence.as_str()) {
            let found = if ct.is_empty() {
                "none".to_owned()
            } else {
                format!("{ct:?}")
            };
            return Some(ApiError::UnsupportedMediaType(format!(
                "request body: expected Content-Type {}; found {found}",
                BODY_MEDIA_TYPES[..4].join(", ")
            )));
        }
    }
    None
}

/// Refuses what a foreign web page could send, before anything else runs.
/// Why a request must not reach a handler, if it must not: a rebinding
/// `Host` on a loopback bind, or what [`refuse`] finds.
pub fn refusal(s: &AppState, req: &Request) -> Option<ApiError> {
    if s.loopback_only
        && let Some(host) = req.headers().get(header::HOST)
    {
        let host = host.to_str().unwrap_or("");
        if !is_loopback_host(host) {
            return Some(ApiError::Forbidden(format!(
                "Host {host:?} is not this machine: a registry listening on loopback answers only to localhost names (DNS rebinding)"
            )));
        }
    }
    refuse(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names() {
        for h in [
            "localhost",
            "localhost:8081",
            "127.0.0.1:8081",
            "[::1]:8081",
            "api.localhost",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "evil.example",
            "evil.example:8081",
            "10.0.0.1",
            "localhost.evil.example",
            "[2001:db8::1]:80",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
