//! A blocking registry client, as `push`, `pull`, `check --against` and the bus's `--registry` talk to it: typed bodies, errors naming the request.

use std::collections::BTreeMap;
use std::time::Duration;

use evreg_core::SchemaSet;
use serde_json::Value;

use crate::{SchemaVersion, path_segment, version_uri};

/// Why a request to the registry failed: the request, then the reason
/// (the registry's own message when it gave one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClientError(pub String);

type Result<T> = std::result::Result<T, ClientError>;

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
        match serde_json::from_value::<crate::ErrorBody>(self.body.clone()) {
            Ok(e) => format!(
                "{} (error_code {}, HTTP {})",
                e.message, e.error_code, self.status
            ),
            Err(_) => format!("HTTP {}: {}", self.status, self.body),
        }
    }

    /// The body as `T`, or an error naming `what` (the request).
    pub fn read<T: serde::de::DeserializeOwned>(self, what: &str) -> Result<T> {
        if !self.ok() {
            return Err(ClientError(format!("{what}: {}", self.message())));
        }
        serde_json::from_value(self.body)
            .map_err(|e| ClientError(format!("{what}: unexpected answer: {e}")))
    }
}

impl Registry {
    /// A client for `base`; only `http://` (TLS is left to a proxy in front).
    pub fn new(base: &str, token: Option<String>) -> Result<Registry> {
        if !base.starts_with("http://") {
            return Err(ClientError(format!(
                "registry {base}: expected http://HOST:PORT (TLS is left to a proxy in front of the registry)"
            )));
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

    pub fn base(&self) -> &str {
        &self.base
    }

    fn answer(
        &self,
        method: &str,
        path: &str,
        resp: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer> {
        let fail = |e: String| ClientError(format!("{method} {}{path}: {e}", self.base));
        let mut resp = resp.map_err(|e| fail(e.to_string()))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| fail(format!("reading the answer: {e}")))?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let answer = Answer { status, body };
        if status == 401 || status == 403 {
            return Err(fail(answer.message()));
        }
        Ok(answer)
    }

    pub fn get(&self, path: &str) -> Result<Answer> {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.answer("GET", path, req.call())
    }

    pub fn post(&self, path: &str, body: &impl serde::Serialize) -> Result<Answer> {
        let text =
            serde_json::to_string(body).map_err(|e| ClientError(format!("POST {path}: {e}")))?;
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        self.answer("POST", path, req.send(text))
    }

    /// Every subject the token may see.
    pub fn subjects(&self) -> Result<Vec<String>> {
        self.get("/subjects")?.read("GET /subjects")
    }

    /// A subject's live version numbers; empty when the registry does not have it.
    pub fn versions(&self, subject: &str) -> Result<Vec<u64>> {
        let path = format!("/subjects/{}/versions", path_segment(subject));
        let a = self.get(&path)?;
        match a.status {
            404 => Ok(Vec::new()),
            _ => a.read(&format!("GET {path}")),
        }
    }

    /// One version as the registry gives it.
    pub fn version(&self, subject: &str, version: u64) -> Result<SchemaVersion> {
        let path = format!("/subjects/{}/versions/{version}", path_segment(subject));
        self.get(&path)?.read(&format!("GET {path}"))
    }

    /// A registered version as a schema set: its document under the URI the
    /// registry bases it on, and every document its `references` reach
    /// (recursively), known by their names as the registry knows them.
    pub fn version_set(&self, subject: &str, version: u64) -> Result<SchemaSet> {
        use evreg_core::schema::resolve_uri;
        let at = |subject: &str, version: u64, e: &dyn std::fmt::Display| {
            ClientError(format!("{subject} v{version}: {e}"))
        };
        let parse = |v: &SchemaVersion| -> Result<Value> {
            serde_json::from_str(&v.schema).map_err(|e| {
                at(
                    &v.subject,
                    v.version as u64,
                    &format!("the schema is not JSON: {e}"),
                )
            })
        };
        let root = self.version(subject, version)?;
        let uri = version_uri(subject, version as i64);
        let mut set = SchemaSet::new(&uri, parse(&root)?).map_err(|e| at(subject, version, &e))?;
        let mut todo: Vec<(usize, crate::Reference)> =
            root.references.into_iter().map(|r| (0, r)).collect();
        let mut fetched = 0;
        while let Some((from, r)) = todo.pop() {
            let here = resolve_uri(set.doc_uri(from), &r.name);
            let by_id = resolve_uri(&set.base_uri(from), &r.name);
            if let Some(doc) = set.document_by_uri(&here) {
                set.alias(&by_id, doc);
                continue;
            }
            fetched += 1;
            if fetched > 1000 {
                return Err(at(subject, version, &"more than 1000 referenced documents"));
            }
            let v = u64::try_from(r.version).unwrap_or(0);
            let target = self.version(&r.subject, v)?;
            let doc = set
                .add(&here, parse(&target)?)
                .map_err(|e| at(&r.subject, v, &e))?;
            set.alias(&by_id, doc);
            todo.extend(target.references.into_iter().map(|r| (doc, r)));
        }
        set.add_known_documents()
            .map_err(|e| at(subject, version, &e))?;
        Ok(set)
    }

    /// Every live version of every routing-key subject, with its references:
    /// what a publisher or consumer validates against when the registry,
    /// rather than a schema directory, is the source. Fetched once.
    pub fn routing_key_versions(&self) -> Result<BTreeMap<(String, u32), SchemaSet>> {
        let mut out = BTreeMap::new();
        for subject in self.subjects()? {
            if subject.parse::<evreg_core::RoutingKey>().is_err() {
                continue;
            }
            for v in self.versions(&subject)? {
                let n = u32::try_from(v)
                    .map_err(|_| ClientError(format!("{subject}: version {v} is out of range")))?;
                out.insert((subject.clone(), n), self.version_set(&subject, v)?);
            }
        }
        if out.is_empty() {
            return Err(ClientError(format!(
                "{}: the registry holds no routing-key subjects",
                self.base
            )));
        }
        Ok(out)
    }
}
