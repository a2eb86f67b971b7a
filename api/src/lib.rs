//! The registry's HTTP interface as data: every route with its role and bodies, the Confluent-compatible request and response bodies, the OpenAPI document written from them, the URIs versions are known by, and (feature `client`) a blocking client.
//!
//! The server, the CLI and the bus all read and write these types, so a
//! field's name and shape live in one place; none of them pulls in axum or sqlx.

mod bodies;
#[cfg(feature = "client")]
mod client;
mod openapi;
pub mod routes;

pub use bodies::*;
#[cfg(feature = "client")]
pub use client::{Answer, ClientError, Registry};
pub use openapi::{MEDIA_TYPE, openapi};
pub use routes::{Access, Method, Op, ROUTES, Role, Route};

/// `s` percent-encoded as one URL path segment (RFC 3986 unreserved characters kept).
pub fn path_segment(s: &str) -> String {
    evreg_core::schema::percent_encode(s, b"")
}

/// The URI a registered version's schema is based on: its relative `$ref`s
/// (Confluent reference names) resolve against it, the same on the server,
/// in the CLI and in the bus.
pub fn version_uri(subject: &str, version: i64) -> String {
    let segment = path_segment(subject);
    format!("https://evreg.invalid/subjects/{segment}/versions/{version}/schema.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_uris_escape_the_subject() {
        assert_eq!(
            version_uri("a/b c", 2),
            "https://evreg.invalid/subjects/a%2Fb%20c/versions/2/schema.json"
        );
        assert_eq!(path_segment("auth.user.created"), "auth.user.created");
    }
}
