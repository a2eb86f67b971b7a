//! A registry over HTTP, as `push`, `pull` and `check --against` talk to it: JSON in, JSON out, errors naming the request.

use std::time::Duration;

use anyhow::{Result, anyhow};
use serde_json::Value;

/// A registry at `base` (`http://host:port`), optionally with a bearer token.
#[derive(Debug)]
pub struct Registry {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The registry's own message for a failed request.
    pub fn message(&self) -> String {
        match (&self.body["error_code"], &self.body["message"]) {
            (Value::Number(c), Value::String(m)) => {
                format!("{m} (error_code {c}, HTTP {})", self.status)
            }
            _ => format!("HTTP {}: {}", self.status, self.body),
        }
    }
}

/// Escapes a subject for a URL path segment.
pub use evreg_server::path_segment as segment;

/// The register/lookup body for one document of a version: its schema, and
/// its references named by the registry versions `versions` gives their
/// subjects (0 for one not known, which the registry refuses).
pub fn schema_body(
    doc: &evreg_core::layout::RegistryDocument,
    versions: &std::collections::HashMap<String, u64>,
) -> Value {
    let references: Vec<Value> = doc
        .references
        .iter()
        .map(|(name, target)| {
            serde_json::json!({"name": name, "subject": target, "version": versions.get(target).copied().unwrap_or(0)})
        })
        .collect();
    serde_json::json!({"schemaType": "JSON", "schema": doc.schema.to_string(), "references": references})
}

impl Registry {
    pub fn new(base: &str, token: Option<String>) -> Result<Registry> {
        if !base.starts_with("http://") {
            return Err(anyhow!(
                "--registry {base}: expected http://HOST:PORT (TLS is left to a proxy in front of the registry)"
            ));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Registry {
            base: base.trim_end_matches('/').to_owned(),
            token,
            agent,
        })
    }

    fn answer(
        &self,
        method: &str,
        path: &str,
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer> {
        let mut resp = resp.map_err(|e| anyhow!("{method} {}{path}: {e}", self.base))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| anyhow!("{method} {}{path}: reading the answer: {e}", self.base))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 401 || status == 403 {
            return Err(anyhow!(
                "{method} {}{path}: {}",
                self.base,
                Answer { status, body }.message()
            ));
        }
        Ok(Answer { status, body })
    }

    pub fn get(&self, path: &str) -> Result<Answer> {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.answer("GET", path, req.call())
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Answer> {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.answer("POST", path, req.send(body.to_string()))
    }

    /// A subject's live version numbers; empty when the registry does not have it.
    pub fn versions(&self, subject: &str) -> Result<Vec<u64>> {
        let a = self.get(&format!("/subjects/{}/versions", segment(subject)))?;
        match a.status {
            404 => Ok(Vec::new()),
            _ if a.ok() => Ok(a
                .body
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default()),
            _ => Err(anyhow!("GET /subjects/{subject}/versions: {}", a.message())),
        }
    }

    /// One version: (id, schema as JSON).
    pub fn version(&self, subject: &str, version: u64) -> Result<(u64, Value)> {
        let a = self.get(&format!(
            "/subjects/{}/versions/{version}",
            segment(subject)
        ))?;
        if !a.ok() {
            return Err(anyhow!(
                "GET /subjects/{subject}/versions/{version}: {}",
                a.message()
            ));
        }
        let id = a.body["id"].as_u64().ok_or_else(|| {
            anyhow!(
                "GET /subjects/{subject}/versions/{version}: no id in {}",
                a.body
            )
        })?;
        let schema = a.body["schema"]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| {
                anyhow!(
                    "GET /subjects/{subject}/versions/{version}: no schema in {}",
                    a.body
                )
            })?;
        Ok((id, schema))
    }
}

/// A Confluent reference: (name, subject, version).
type Named = (String, String, u64);

impl Registry {
    /// A registered version as a schema set: its document under the URI the
    /// registry bases it on, and every document its `references` reach
    /// (recursively), known by their names as the registry knows them.
    pub fn version_set(&self, subject: &str, version: u64) -> Result<evreg_core::SchemaSet> {
        use evreg_core::schema::resolve_uri;
        let fetch = |subject: &str, version: u64| -> Result<(Value, Vec<Named>)> {
            let path = format!("/subjects/{}/versions/{version}", segment(subject));
            let a = self.get(&path)?;
            if !a.ok() {
                return Err(anyhow!("GET {path}: {}", a.message()));
            }
            let schema = a.body["schema"]
                .as_str()
                .and_then(|s| serde_json::from_str(s).ok())
                .ok_or_else(|| anyhow!("GET {path}: no schema in {}", a.body))?;
            let refs = a.body["references"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((
                        r["name"].as_str()?.to_owned(),
                        r["subject"].as_str()?.to_owned(),
                        r["version"].as_u64()?,
                    ))
                })
                .collect();
            Ok((schema, refs))
        };
        let (schema, refs) = fetch(subject, version)?;
        let uri = evreg_server::version_uri(subject, version as i64);
        let mut set = evreg_core::SchemaSet::new(&uri, schema)
            .map_err(|e| anyhow!("{subject} v{version}: {e}"))?;
        let mut todo: Vec<(usize, (String, String, u64))> =
            refs.into_iter().map(|r| (0, r)).collect();
        let mut seen = 0;
        while let Some((from, (name, s, v))) = todo.pop() {
            seen += 1;
            if seen > 1000 {
                return Err(anyhow!(
                    "{subject} v{version}: more than 1000 referenced documents"
                ));
            }
            let at = resolve_uri(set.doc_uri(from), &name);
            let by_id = resolve_uri(&set.base_uri(from), &name);
            if let Some(doc) = set.document_by_uri(&at) {
                set.alias(&by_id, doc);
                continue;
            }
            let (schema, more) = fetch(&s, v)?;
            let doc = set.add(&at, schema).map_err(|e| anyhow!("{s} v{v}: {e}"))?;
            set.alias(&by_id, doc);
            todo.extend(more.into_iter().map(|r| (doc, r)));
        }
        set.add_known_documents()
            .map_err(|e| anyhow!("{subject} v{version}: {e}"))?;
        Ok(set)
    }
}

/// `--token`, else `EVREG_TOKEN`.
pub fn token(arg: &Option<String>) -> Option<String> {
    arg.clone()
        .or_else(|| std::env::var("EVREG_TOKEN").ok().filter(|t| !t.is_empty()))
}
