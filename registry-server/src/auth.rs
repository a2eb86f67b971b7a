//! Bearer tokens: roles reader < writer < admin, optionally limited to subject prefixes; the tokens file holds SHA-256 hashes, never tokens.
//!
//! ```toml
//! [[tokens]]
//! name = "catalog-ci"
//! sha256 = "…64 hex digits…"   # `evreg token` prints a new token and this line
//! role = "writer"
//! subjects = ["catalog."]      # optional: subject prefixes this token may touch
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use evreg_api::Route;
use serde::Deserialize;

use crate::{ApiError, AppState, Shared};

pub use evreg_api::Role;

/// One entry of the tokens file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    pub name: String,
    pub sha256: String,
    pub role: Role,
    /// Subject prefixes this token is limited to; empty means every subject.
    #[serde(default)]
    pub subjects: Vec<String>,
}

/// The tokens file, indexed by hash.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_hash: HashMap<String, Arc<Token>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    #[serde(default)]
    tokens: Vec<Token>,
}

/// The hex SHA-256 a tokens file stores for `token`.
pub fn hash(token: &str) -> String {
    crate::store::sha256_hex(token.as_bytes())
}

impl Tokens {
    /// Parses a tokens file; errors name the entry and field.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let file: TokensFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut by_hash = HashMap::new();
        for (i, t) in file.tokens.into_iter().enumerate() {
            let h = t.sha256.to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "tokens[{i}] ({}): sha256 must be 64 hex digits (the hash of the token, not the token)",
                    t.name
                ));
            }
            if by_hash
                .insert(h.clone(), Arc::new(Token { sha256: h, ..t }))
                .is_some()
            {
                return Err(format!("tokens[{i}]: the same token hash appears twice"));
            }
        }
        Ok(Tokens { by_hash })
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    fn find(&self, token: &str) -> Option<Arc<Token>> {
        self.by_hash.get(&hash(token)).cloned()
    }

    /// The entry of a token a person typed into the UI's sign-in form.
    pub(crate) fn lookup(&self, token: &str) -> Option<Arc<Token>> {
        self.find(token.trim())
    }
}

/// The token a request was let in with; absent with anonymous access.
#[derive(Debug, Clone)]
pub struct Grant(pub Arc<Token>);

impl Grant {
    pub fn allows_subject(&self, subject: &str) -> bool {
        self.0.subjects.is_empty() || self.0.subjects.iter().any(|p| subject.starts_with(p))
    }
}

/// Whether a subject name may appear in a listing for this request.
pub fn may_see(grant: Option<&Grant>, subject: &str) -> bool {
    grant.is_none_or(|g| g.allows_subject(subject))
}

/// Lets a request to `route` in when its bearer token's role and subject
/// prefixes allow what the route's access asks for.
pub async fn authorize(
    State((s, route)): State<(Shared, &'static Route)>,
    mut req: Request,
    next: Next,
) -> Response {
    // `app` adds this layer only when tokens are configured.
    let Some(tokens) = &s.tokens else {
        return next.run(req).await;
    };
    // Liveness and the API description are public: load balancers and client generators need them.
    let Some(need) = route.access.needs(req.uri().query().unwrap_or("")) else {
        return next.run(req).await;
    };
    match check(&s, tokens, need, &mut req).await {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(
    s: &AppState,
    tokens: &Tokens,
    need: Role,
    req: &mut Request,
) -> Result<(), ApiError> {
    let path = req.uri().path().to_owned();
    if s.open_reads
        && need == Role::Reader
        && !req
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        return Ok(());
    }
    let bearer = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "A bearer token is required (Authorization: Bearer TOKEN)".into(),
            )
        })?;
    let token = tokens
        .find(bearer)
        .ok_or_else(|| ApiError::Unauthorized("The bearer token is not known".into()))?;
    if token.role < need {
        return Err(ApiError::Forbidden(format!(
            "Token {:?} has role {:?}; {} {} needs {:?}",
            token.name,
            token.role,
            req.method(),
            path,
            need
        )));
    }
    let grant = Grant(token);
    let params = {
        let (mut parts, body) = std::mem::take(req).into_parts();
        let p = <RawPathParams as axum::extract::FromRequestParts<()>>::from_request_parts(
            &mut parts,
            &(),
        )
        .await
        .ok()
        .map(|p| {
            p.iter()
                .filter(|(k, _)| *k == "subject" || *k == "routing_key")
                .map(|(_, v)| v.to_owned())
                .collect::<Vec<String>>()
        });
        *req = Request::from_parts(parts, body);
        p.unwrap_or_default()
    };
    match params.first() {
        Some(subject) if !grant.allows_subject(subject) => {
            return Err(ApiError::Forbidden(format!(
                "Token {:?} may not touch subject {subject:?} (allowed prefixes: {:?})",
                grant.0.name, grant.0.subjects
            )));
        }
        None if !grant.0.subjects.is_empty() && need == Role::Admin => {
            return Err(ApiError::Forbidden(format!(
                "Token {:?} is limited to subject prefixes {:?}; global settings need an unlimited admin token",
                grant.0.name, grant.0.subjects
            )));
        }
        _ => {}
    }
    req.extensions_mut().insert(grant);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_file_stores_hashes() {
        let h = hash("s3cret");
        let t = Tokens::parse(&format!(
            "[[tokens]]\nname = \"ci\"\nsha256 = \"{h}\"\nrole = \"writer\"\nsubjects = [\"auth.\"]\n"
        ))
        .expect("parses");
        let found = t.find("s3cret").expect("known");
        assert_eq!(found.role, Role::Writer);
        assert!(t.find("s3cret ").is_none());
        let g = Grant(found);
        assert!(g.allows_subject("auth.user.created"));
        assert!(!g.allows_subject("catalog.product.created"));
        let bad =
            Tokens::parse("[[tokens]]\nname = \"x\"\nsha256 = \"s3cret\"\nrole = \"reader\"\n")
                .expect_err("a token in clear is refused");
        assert!(bad.contains("tokens[0] (x): sha256"), "{bad}");
        assert!(
            Tokens::parse("[[tokens]]\nname = \"x\"\nsha256 = \"{h}\"\nrole = \"root\"\n").is_err()
        );
    }
}
