//! The CLI's side of a registry over HTTP: the shared client, the register body for a schema directory's document, and the token.

use evreg_api::{Reference, SchemaRequest};

pub use evreg_api::Registry;

/// Escapes a subject for a URL path segment.
pub use evreg_api::path_segment as segment;

/// The register/lookup body for one document of a version: its schema, and
/// its references named by the registry versions `versions` gives their
/// subjects (0 for one not known, which the registry refuses).
pub fn schema_body(
    doc: &evreg_core::layout::RegistryDocument,
    versions: &std::collections::HashMap<String, u64>,
) -> SchemaRequest {
    let references = doc
        .references
        .iter()
        .map(|(name, target)| Reference {
            name: name.clone(),
            subject: target.clone(),
            version: versions.get(target).map_or(0, |v| *v as i64),
        })
        .collect();
    SchemaRequest::json(doc.schema.to_string(), references)
}

/// `--token`, else `EVREG_TOKEN`.
pub fn token(arg: &Option<String>) -> Option<String> {
    arg.clone()
        .or_else(|| std::env::var("EVREG_TOKEN").ok().filter(|t| !t.is_empty()))
}
