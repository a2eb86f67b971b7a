//! Beyond Confluent: message validation, topology routes, the OpenAPI document, metrics and health.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use evreg_api::{
    BatchValidation, DeadLetter, Health, InvalidLine, RouteBinding, RouteOf, ValidationError,
    ValidationResult,
};
use evreg_core::RoutingKey;
use evreg_core::schema::Validator;
use serde_json::Value;

use crate::auth::Grant;
use crate::confluent::{Body, json_response};
use crate::{ApiError, AppState, Cached, Shared};

/// Compiled validators by (subject, version): a version's content never changes.
#[derive(Debug, Default)]
pub struct Validators {
    compiled: RwLock<HashMap<(String, i64), Arc<Compiled>>>,
}

/// A compiled message validator, and whether it is small enough to run on
/// the async workers (every schema registered since the size check is; one
/// stored before it may not be, and runs on the blocking pool).
#[derive(Debug)]
pub struct Compiled {
    validator: Validator,
    small: bool,
}

impl Compiled {
    /// The message's errors as the API writes them (none when valid).
    pub(crate) fn issues(&self, message: &Value) -> Vec<ValidationError> {
        if self.validator.is_valid(message) {
            Vec::new()
        } else {
            issues_json(&self.validator, message)
        }
    }
}

/// Expanded size below which validation runs inline.
const INLINE_NODES: u64 = 20_000;

/// Which schema a message names: its `event_type` and `event_version` ("v2" or 2).
pub(crate) fn addressed(message: &Value) -> Result<(String, i64), Vec<ValidationError>> {
    let issue = |path: &str, message: &str| vec![ValidationError::at(path, message)];
    let Some(obj) = message.as_object() else {
        return Err(issue("", "a message is a JSON object (the envelope)"));
    };
    let Some(key) = obj.get("event_type").and_then(Value::as_str) else {
        return Err(issue("/event_type", "required: the routing key, a string"));
    };
    let version = match obj.get("event_version") {
        Some(Value::String(v)) => v.strip_prefix('v').unwrap_or(v).parse().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    match version.filter(|v| *v >= 1) {
        Some(v) => Ok((key.to_owned(), v)),
        None => Err(issue(
            "/event_version",
            "required: the payload's schema version, \"v1\", \"v2\", ...",
        )),
    }
}

/// Why a message's schema could not be found, as a message for the client.
pub(crate) enum Unroutable {
    NoSubject(String),
    NoVersion(String, i64),
}

impl From<Unroutable> for ApiError {
    fn from(u: Unroutable) -> ApiError {
        match u {
            Unroutable::NoSubject(s) => ApiError::SubjectNotFound(s),
            Unroutable::NoVersion(_, v) => ApiError::VersionNotFound(v.to_string()),
        }
    }
}

impl Unroutable {
    pub(crate) fn issues(&self) -> Vec<ValidationError> {
        let message = match self {
            Unroutable::NoSubject(s) => format!("no subject {s:?} is registered"),
            Unroutable::NoVersion(s, v) => format!("subject {s:?} has no live version {v}"),
        };
        vec![ValidationError::at("/event_type", message)]
    }
}

impl AppState {
    /// The validator of a whole message of (subject, version): the envelope
    /// with the payload schema in it when an envelope is configured, else the
    /// payload schema alone (applied to `/payload`).
    pub(crate) async fn validator(
        &self,
        subject: &str,
        version: i64,
    ) -> Result<Result<Arc<Compiled>, Unroutable>, ApiError> {
        let versions = self.versions(subject).await?;
        if versions.is_empty() {
            return Ok(Err(Unroutable::NoSubject(subject.to_owned())));
        }
        let Some(v) = versions.iter().find(|v| v.version == version) else {
            return Ok(Err(Unroutable::NoVersion(subject.to_owned(), version)));
        };
        let key = (subject.to_owned(), version);
        if let Some(found) = self
            .validators
            .compiled
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Ok(found.clone()));
        }
        let content = self
            .content(v.id)
            .await?
            .ok_or(ApiError::SchemaNotFound(v.id as u64))?;
        let payload = self
            .version_set(subject, version, &content, &mut Cached(self))
            .await?;
        let set = evreg_core::schema::compose_message(
            self.envelope.as_deref(),
            subject,
            version as u32,
            &payload,
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        let compiled = Arc::new(Compiled {
            validator: Validator::compile(&set).map_err(|e| ApiError::Internal(e.to_string()))?,
            small: set.expanded_size(INLINE_NODES).is_some(),
        });
        self.validators
            .compiled
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, compiled.clone());
        Ok(Ok(compiled))
    }
}

fn issues_json(v: &Validator, message: &Value) -> Vec<ValidationError> {
    v.issues(message)
        .into_iter()
        .map(|i| ValidationError {
            instance_path: i.instance_path,
            schema_path: i.schema_path,
            message: i.message,
        })
        .collect()
}

/// Runs CPU-bound validation on the blocking pool, so a slow schema cannot
/// stall the workers that answer everyone else (and `/healthz`).
async fn off_runtime<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("validation task: {e}")))
}

/// A token limited to subject prefixes validates only messages of its own subjects.
fn allowed(grant: &Option<axum::Extension<Grant>>, subject: &str) -> bool {
    crate::auth::may_see(grant.as_ref().map(|g| &g.0), subject)
}

/// `POST /validate`: one whole message, routed by its own `event_type` and `event_version`.
pub async fn validate(
    State(s): State<Shared>,
    grant: Option<axum::Extension<Grant>>,
    body: Body,
) -> Result<Response, ApiError> {
    let message: Value = body.parse()?;
    let (subject, version) = match addressed(&message) {
        Ok(a) => a,
        Err(errors) => {
            s.metrics.validations(0, 1);
            return Ok(json_response(ValidationResult {
                valid: false,
                subject: None,
                version: None,
                errors,
            }));
        }
    };
    if !allowed(&grant, &subject) {
        return Err(ApiError::Forbidden(format!(
            "This token may not read subject {subject:?}"
        )));
    }
    let compiled = s.validator(&subject, version).await??;
    let small = compiled.small;
    let check = move || {
        if compiled.validator.is_valid(&message) {
            Vec::new()
        } else {
            issues_json(&compiled.validator, &message)
        }
    };
    let errors = if small {
        check()
    } else {
        off_runtime(check).await?
    };
    let valid = errors.is_empty();
    s.metrics.validations(u64::from(valid), u64::from(!valid));
    Ok(json_response(ValidationResult {
        valid,
        subject: Some(subject),
        version: Some(version),
        errors,
    }))
}

/// One line of a batch: its errors already known, or a message to check.
enum Line {
    Done(usize, Vec<ValidationError>),
    Check(usize, Value, (String, i64)),
}

fn issue(message: String) -> Vec<ValidationError> {
    vec![ValidationError::at("", message)]
}

/// `POST /validate/batch`: NDJSON, one message a line; answers counts and the invalid lines.
pub async fn validate_batch(
    State(s): State<Shared>,
    grant: Option<axum::Extension<Grant>>,
    body: Body,
) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body.0)
        .map_err(|e| ApiError::BadRequest(format!("request body is not UTF-8: {e}")))?;
    // Parsing is linear in a body the size limit bounds; validation may not be.
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| match serde_json::from_str::<Value>(line) {
            Err(e) => Line::Done(i + 1, issue(format!("not JSON: {e}"))),
            Ok(message) => match addressed(&message) {
                Err(errors) => Line::Done(i + 1, errors),
                Ok(key) => Line::Check(i + 1, message, key),
            },
        })
        .collect();
    let mut validators: HashMap<(String, i64), Result<Arc<Compiled>, Vec<ValidationError>>> =
        HashMap::new();
    for line in &lines {
        if let Line::Check(_, _, key) = line {
            if validators.contains_key(key) {
                continue;
            }
            let v = if allowed(&grant, &key.0) {
                s.validator(&key.0, key.1).await?.map_err(|u| u.issues())
            } else {
                Err(issue(format!(
                    "this token may not read subject {:?}",
                    key.0
                )))
            };
            validators.insert(key.clone(), v);
        }
    }
    let total = lines.len() as u64;
    let small = validators
        .values()
        .all(|v| v.as_ref().map_or(true, |c| c.small));
    let check = move || -> Vec<InvalidLine> {
        lines
            .into_iter()
            .filter_map(|line| {
                let (n, errors) = match line {
                    Line::Done(n, errors) => (n, errors),
                    Line::Check(n, message, key) => match &validators[&key] {
                        Err(issues) => (n, issues.clone()),
                        Ok(c) if c.validator.is_valid(&message) => (n, Vec::new()),
                        Ok(c) => (n, issues_json(&c.validator, &message)),
                    },
                };
                (!errors.is_empty()).then_some(InvalidLine {
                    line: n as u64,
                    valid: false,
                    errors,
                })
            })
            .collect()
    };
    let results = if small {
        check()
    } else {
        off_runtime(check).await?
    };
    let invalid = results.len() as u64;
    s.metrics.validations(total - invalid, invalid);
    Ok(json_response(BatchValidation {
        total,
        valid: total - invalid,
        invalid,
        results,
    }))
}

/// `GET /topology/routes/{routing_key}`: where a routing key's messages go, from `evreg.toml`.
pub async fn topology(
    State(s): State<Shared>,
    crate::confluent::P(key): crate::confluent::P<String>,
) -> Result<Response, ApiError> {
    let key: RoutingKey = key
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("routing key {key:?}: {e}")))?;
    let Some(config) = &s.topology else {
        return Err(ApiError::BadRequest(
            "no topology is configured: start the server with --import DIR or --config evreg.toml"
                .into(),
        ));
    };
    let Some(exchange) = config.exchange_of(&key) else {
        return Err(ApiError::SubjectNotFound(key.as_str().to_owned()));
    };
    let routes = config.routes(&key);
    let (queues, consumers) = crate::reach(&routes);
    let dead_letter = config
        .queues
        .iter()
        .filter(|q| queues.contains(&q.name.as_str()))
        .filter_map(|q| {
            q.dead_letter_queue.as_ref().map(|d| DeadLetter {
                queue: q.name.clone(),
                dead_letter_queue: d.clone(),
                max_deliveries: q.max_deliveries,
            })
        })
        .collect();
    Ok(json_response(RouteOf {
        routing_key: key.as_str().to_owned(),
        exchange: exchange.to_owned(),
        producer: config.producer_of(&key).map(str::to_owned),
        bindings: routes
            .iter()
            .map(|r| RouteBinding {
                exchange: r.exchange.to_owned(),
                queue: r.queue.to_owned(),
                pattern: r.pattern.to_string(),
            })
            .collect(),
        queues: queues.iter().map(|q| (*q).to_owned()).collect(),
        consumers: consumers.iter().map(|c| (*c).to_owned()).collect(),
        dead_letter,
    }))
}

/// The OpenAPI 3.1 description of every route, written once from the route table.
static OPENAPI: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| evreg_api::openapi().to_string());

pub async fn openapi() -> Response {
    let mut r = OPENAPI.as_str().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub async fn metrics(State(s): State<Shared>) -> Response {
    let cache = (
        s.cache.hits.load(std::sync::atomic::Ordering::Relaxed),
        s.cache.misses.load(std::sync::atomic::Ordering::Relaxed),
    );
    let mut r = s.metrics.render(cache, s.cache.len()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(s): State<Shared>) -> Result<Response, ApiError> {
    s.store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(json_response(Health {
        status: "ok".into(),
        database: s.store.dialect().into(),
    }))
}

/// `GET /asyncapi/{service}`: the service's AsyncAPI 3.0 document from the
/// configured topology and every live version registered for its routing
/// keys (the same document `evreg export asyncapi` writes from a directory).
pub async fn asyncapi(
    State(s): State<Shared>,
    crate::confluent::P(service): crate::confluent::P<String>,
) -> Result<Response, ApiError> {
    let Some(config) = &s.topology else {
        return Err(ApiError::BadRequest(
            "no topology is configured: start the server with --import DIR or --config evreg.toml"
                .into(),
        ));
    };
    if !config.services.iter().any(|x| x.name == service) {
        return Err(ApiError::SubjectNotFound(service));
    }
    let mut payloads = std::collections::BTreeMap::new();
    for subject in s.subjects().await?.iter() {
        if subject.parse::<RoutingKey>().is_err() {
            continue;
        }
        for v in s.versions(subject).await?.iter().filter(|v| !v.deleted) {
            let content = s
                .content(v.id)
                .await?
                .ok_or(ApiError::SchemaNotFound(v.id as u64))?;
            let set = s
                .version_set(subject, v.version, &content, &mut Cached(&s))
                .await?;
            payloads.insert((subject.clone(), v.version as u32), set);
        }
    }
    let catalog = evreg_core::catalog::Catalog {
        envelope: s.envelope.as_deref().cloned(),
        payloads,
        config: (**config).clone(),
        config_text: String::new(),
    };
    let vhost = config.vhost.as_deref().unwrap_or("/");
    let doc = evreg_core::asyncapi::document(&catalog, &service, vhost)
        .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    let mut r = axum::Json(doc).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(r)
}
