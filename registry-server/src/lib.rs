//! evreg-server: the registry server, speaking the Confluent Schema Registry REST API for JSON schemas over SQLite.
//!
//! `app(state)` is the whole HTTP surface (tests drive it with `oneshot`,
//! no socket); `serve(listener, state, shutdown)` runs it. Status codes live
//! in `error.rs` only. Every new version is checked by evreg-core under the
//! subject's mode and policy inside the write transaction.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use evreg_core::{Mode, Policy, SchemaSet, Verdict, check_versions};
use serde::Deserialize;
use serde_json::{Value, json};

mod error;
pub mod store;

pub use error::ApiError;
pub use store::Store;

/// Shared state of every request.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// Defaults when neither the subject nor the global config says otherwise.
    pub default_mode: Mode,
    pub default_policy: Policy,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            default_mode: Mode::FullTransitive,
            default_policy: Policy::Lenient,
        }
    }
}

type Shared = Arc<AppState>;

/// The registry's routes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/subjects", get(list_subjects))
        .route(
            "/subjects/{subject}",
            axum::routing::post(lookup).delete(delete_subject),
        )
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route("/schemas/ids/{id}", get(get_schema))
        .route("/schemas/ids/{id}/schema", get(get_schema_raw))
        .route("/schemas/ids/{id}/versions", get(get_schema_versions))
        .route("/schemas/ids/{id}/subjects", get(get_schema_subjects))
        .route("/schemas/types", get(|| async { Json(json!(["JSON"])) }))
        .route("/config", get(get_global_config).put(put_global_config))
        .route(
            "/config/{subject}",
            get(get_subject_config).put(put_subject_config),
        )
        .route(
            "/compatibility/subjects/{subject}/versions",
            axum::routing::post(compatibility_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            axum::routing::post(compatibility_one),
        )
        .route("/healthz", get(healthz))
        .fallback(|| async { ApiError::RouteNotFound })
        .with_state(Arc::new(state))
}

/// Serves `app` on `listener` until `shutdown` resolves; requests in flight finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Confluent's media type, which its clients send and accept.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

fn json_response(v: Value) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    r
}

async fn healthz(State(s): State<Shared>) -> Result<Response, ApiError> {
    s.store.subjects().await?;
    Ok(json_response(json!({"status": "ok"})))
}

async fn list_subjects(State(s): State<Shared>) -> Result<Response, ApiError> {
    Ok(json_response(json!(s.store.subjects().await?)))
}

async fn list_versions(
    State(s): State<Shared>,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    let versions = s.store.versions(&subject).await?;
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject));
    }
    Ok(json_response(json!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>()
    )))
}

/// `latest`, `-1` or a positive version number.
fn pick<'a>(
    versions: &'a [store::VersionRow],
    subject: &str,
    version: &str,
) -> Result<&'a store::VersionRow, ApiError> {
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject.to_owned()));
    }
    if version == "latest" || version == "-1" {
        return versions
            .last()
            .ok_or_else(|| ApiError::SubjectNotFound(subject.to_owned()));
    }
    let n: i64 = version
        .parse()
        .ok()
        .filter(|n| *n >= 1 && *n <= i64::from(i32::MAX))
        .ok_or_else(|| ApiError::InvalidVersion(version.to_owned()))?;
    versions
        .iter()
        .find(|v| v.version == n)
        .ok_or_else(|| ApiError::VersionNotFound(version.to_owned()))
}

async fn get_version(
    State(s): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let versions = s.store.versions(&subject).await?;
    let v = pick(&versions, &subject, &version)?;
    Ok(json_response(json!({
        "subject": v.subject,
        "version": v.version,
        "id": v.id,
        "schemaType": "JSON",
        "schema": v.schema,
    })))
}

async fn get_version_schema(
    State(s): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let versions = s.store.versions(&subject).await?;
    let v = pick(&versions, &subject, &version)?;
    let schema: Value =
        serde_json::from_str(&v.schema).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(json_response(schema))
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .ok()
        .filter(|n: &i64| *n >= 1)
        .ok_or_else(|| ApiError::BadRequest(format!("schema id {id:?} is not a positive integer")))
}

async fn get_schema(State(s): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let n = parse_id(&id)?;
    let schema = s
        .store
        .schema_by_id(n)
        .await?
        .ok_or(ApiError::SchemaNotFound(n as u64))?;
    Ok(json_response(
        json!({"schema": schema, "schemaType": "JSON"}),
    ))
}

async fn get_schema_raw(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let n = parse_id(&id)?;
    let schema = s
        .store
        .schema_by_id(n)
        .await?
        .ok_or(ApiError::SchemaNotFound(n as u64))?;
    let v: Value = serde_json::from_str(&schema).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(json_response(v))
}

/// The register request; unknown fields are ignored, as Confluent does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterRequest {
    schema: String,
    #[serde(default)]
    schema_type: Option<String>,
}

/// Reads a JSON body whatever its content type, with a JSON error when it is not JSON.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}

/// The subject's effective (mode, policy): its own config, the global one, or the server default.
async fn effective(s: &AppState, subject: &str) -> Result<(Mode, Policy), ApiError> {
    let own = s.store.config(subject).await?;
    let global = s.store.config("").await?;
    let (mode, policy) = match (own, global) {
        (Some((m, p)), g) => (Some(m), p.or(g.and_then(|g| g.1))),
        (None, Some((m, p))) => (Some(m), p),
        (None, None) => (None, None),
    };
    let mode = match mode {
        Some(m) => m.parse().map_err(|e: String| ApiError::Internal(e))?,
        None => s.default_mode,
    };
    let policy = match policy {
        Some(p) => p.parse().map_err(|e: String| ApiError::Internal(e))?,
        None => s.default_policy,
    };
    Ok((mode, policy))
}

fn schema_set(subject: &str, version: i64, text: &str) -> Result<SchemaSet, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::InvalidSchema(format!("not JSON: {e}")))?;
    let set = SchemaSet::new(
        &format!("evreg:subjects/{subject}/versions/{version}"),
        value,
    )
    .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    evreg_core::schema::check_well_formed(&set)
        .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    Ok(set)
}

async fn register(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: RegisterRequest = body(&bytes)?;
    if let Some(t) = req
        .schema_type
        .as_deref()
        .filter(|t| !t.eq_ignore_ascii_case("JSON"))
    {
        return Err(ApiError::InvalidSchema(format!(
            "schemaType {t:?} is not supported; evreg stores JSON schemas"
        )));
    }
    let new_set = schema_set(&subject, 0, &req.schema)?;
    let (id, _, _) = s.register(&subject, new_set).await?;
    Ok(json_response(json!({"id": id})))
}

impl AppState {
    /// Registers a schema under `subject` after checking it against the live
    /// versions under the subject's mode and policy, in one transaction.
    /// Returns (id, version, newly added); the same content again is not a new version.
    pub async fn register(
        &self,
        subject: &str,
        new_set: SchemaSet,
    ) -> Result<(i64, i64, bool), ApiError> {
        let canonical = store::canonical(new_set.document(0));
        let (mode, policy) = effective(self, subject).await?;
        let result = self
            .store
            .register(subject, &canonical, |live| {
                if live.is_empty() || mode == Mode::None {
                    return Ok(());
                }
                let mut sets = Vec::with_capacity(live.len() + 1);
                for v in live {
                    sets.push(schema_set(subject, v.version, &v.schema)?);
                }
                sets.push(new_set.clone());
                let report = check_versions(&sets, mode, policy).map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
                match report.verdict {
                    Verdict::Compatible => Ok(()),
                    verdict => {
                        let messages: Vec<String> =
                            report.changes.iter().map(|c| c.message.clone()).chain(report.reasons.iter().cloned()).collect();
                        let text = format!(
                            "Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({mode}, {policy}, {}): {}",
                            verdict.as_str(),
                            messages.join("; ")
                        );
                        Err(ApiError::Incompatible(text, serde_json::to_value(&report).unwrap_or(Value::Null)))
                    }
                }
            })
            .await?;
        let (id, version, added) = result?;
        tracing::info!(%subject, id, version, added, "register");
        Ok((id, version, added))
    }

    /// Registers every version of every routing key of a loaded schema
    /// directory, in order; versions already present are left as they are.
    /// Returns how many versions were new.
    pub async fn import(&self, dir: &evreg_core::layout::SchemaDir) -> Result<usize, ApiError> {
        let mut added = 0;
        for s in &dir.subjects {
            for v in &s.versions {
                let Some(set) = v.schema.clone() else {
                    return Err(ApiError::BadRequest(format!(
                        "{}: not loaded",
                        v.path.display()
                    )));
                };
                if self.register(s.key.as_str(), set).await?.2 {
                    added += 1;
                }
            }
        }
        Ok(added)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigRequest {
    compatibility: String,
    #[serde(default)]
    compatibility_policy: Option<String>,
}

async fn get_global_config(State(s): State<Shared>) -> Result<Response, ApiError> {
    let (mode, policy) = effective(&s, "").await?;
    Ok(json_response(
        json!({"compatibilityLevel": mode, "compatibilityPolicy": policy}),
    ))
}

async fn put_global_config(
    State(s): State<Shared>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    set_config(&s, "", &bytes).await
}

/// `PUT /config` and `PUT /config/{s}`: the global settings are the subject `""`.
async fn set_config(s: &AppState, subject: &str, bytes: &[u8]) -> Result<Response, ApiError> {
    let req: ConfigRequest = body(bytes)?;
    let mode: Mode = req
        .compatibility
        .parse()
        .map_err(ApiError::InvalidCompatibility)?;
    let policy: Option<Policy> = match &req.compatibility_policy {
        Some(p) => Some(p.parse().map_err(ApiError::InvalidCompatibility)?),
        None => None,
    };
    s.store
        .set_config(subject, mode.as_str(), policy.map(Policy::as_str))
        .await?;
    let mut out = json!({"compatibility": mode});
    if let Some(p) = policy {
        out["compatibilityPolicy"] = json!(p);
    }
    Ok(json_response(out))
}

/// `POST /subjects/{s}`: is this schema already registered under the subject?
async fn lookup(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: RegisterRequest = body(&bytes)?;
    let set = schema_set(&subject, 0, &req.schema)?;
    let canonical = store::canonical(set.document(0));
    let versions = s.store.versions(&subject).await?;
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject));
    }
    let found = versions
        .iter()
        .find(|v| v.schema == canonical)
        .ok_or(ApiError::SchemaNotFoundInSubject)?;
    Ok(json_response(json!({
        "subject": found.subject,
        "id": found.id,
        "version": found.version,
        "schemaType": "JSON",
        "schema": found.schema,
    })))
}

#[derive(Debug, Deserialize, Default)]
struct VerboseQuery {
    #[serde(default)]
    verbose: Option<String>,
}

/// Checks a candidate against the chosen versions under the subject's settings.
async fn compatibility(
    s: &AppState,
    subject: &str,
    version: Option<&str>,
    bytes: &[u8],
    verbose: bool,
) -> Result<Response, ApiError> {
    let req: RegisterRequest = body(bytes)?;
    let candidate = schema_set(subject, 0, &req.schema)?;
    let versions = s.store.versions(subject).await?;
    let (mode, policy) = effective(s, subject).await?;
    let against: Vec<&store::VersionRow> = match version {
        Some(v) => vec![pick(&versions, subject, v)?],
        None => versions.iter().collect(),
    };
    let mut sets = Vec::with_capacity(against.len() + 1);
    for v in &against {
        sets.push(schema_set(subject, v.version, &v.schema)?);
    }
    sets.push(candidate);
    // One named version is checked alone; the whole list under the subject's (transitive) mode.
    let mode = if version.is_some() && mode.transitive() {
        match mode {
            Mode::BackwardTransitive => Mode::Backward,
            Mode::ForwardTransitive => Mode::Forward,
            _ => Mode::Full,
        }
    } else {
        mode
    };
    let report =
        check_versions(&sets, mode, policy).map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    let compatible = report.verdict == Verdict::Compatible;
    let mut out = json!({"is_compatible": compatible});
    if verbose {
        let messages: Vec<String> = report
            .changes
            .iter()
            .map(|c| format!("{} {}: {}", c.kind, c.path, c.message))
            .chain(report.reasons.iter().cloned())
            .collect();
        out["messages"] = json!(messages);
        out["evreg"] = serde_json::to_value(&report).unwrap_or(Value::Null);
    }
    Ok(json_response(out))
}

/// A query boolean as Confluent clients send it: `true` in any case.
fn flag(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

async fn compatibility_all(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    axum::extract::Query(q): axum::extract::Query<VerboseQuery>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    compatibility(&s, &subject, None, &bytes, flag(&q.verbose)).await
}

async fn compatibility_one(
    State(s): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<VerboseQuery>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    compatibility(&s, &subject, Some(&version), &bytes, flag(&q.verbose)).await
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConfigQuery {
    #[serde(default)]
    default_to_global: Option<String>,
}

async fn get_subject_config(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ConfigQuery>,
) -> Result<Response, ApiError> {
    let own = s.store.config(&subject).await?;
    let to_global = flag(&q.default_to_global);
    if own.is_none() && !to_global {
        return Err(ApiError::SubjectConfigNotFound(subject));
    }
    let (mode, policy) = effective(&s, &subject).await?;
    Ok(json_response(
        json!({"compatibilityLevel": mode, "compatibilityPolicy": policy}),
    ))
}

async fn put_subject_config(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Response, ApiError> {
    set_config(&s, &subject, &bytes).await
}

#[derive(Debug, Deserialize, Default)]
struct DeleteQuery {
    #[serde(default)]
    permanent: Option<String>,
}

/// `DELETE /subjects/{s}`: soft-deletes every version; `permanent=true` then removes them for good.
async fn delete_subject(
    State(s): State<Shared>,
    Path(subject): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DeleteQuery>,
) -> Result<Response, ApiError> {
    let permanent = flag(&q.permanent);
    if permanent && s.store.has(&subject, None, 0).await? {
        return Err(ApiError::SubjectNotSoftDeleted(subject));
    }
    let deleted = s.store.delete(&subject, None, permanent).await?;
    if deleted.is_empty() {
        return Err(ApiError::SubjectNotFound(subject));
    }
    Ok(json_response(json!(deleted)))
}

/// `DELETE /subjects/{s}/versions/{v}`: the same for one version.
async fn delete_version(
    State(s): State<Shared>,
    Path((subject, version)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<DeleteQuery>,
) -> Result<Response, ApiError> {
    let permanent = flag(&q.permanent);
    let n = if version == "latest" || version == "-1" {
        let live = s.store.versions(&subject).await?;
        pick(&live, &subject, &version)?.version
    } else {
        version
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::InvalidVersion(version.clone()))?
    };
    if permanent && s.store.has(&subject, Some(n), 0).await? {
        return Err(ApiError::VersionNotSoftDeleted(subject, n));
    }
    let deleted = s.store.delete(&subject, Some(n), permanent).await?;
    match deleted.first() {
        Some(v) => Ok(json_response(json!(v))),
        None if s.store.has(&subject, None, 0).await? || s.store.has(&subject, None, 1).await? => {
            Err(ApiError::VersionNotFound(version))
        }
        None => Err(ApiError::SubjectNotFound(subject)),
    }
}

/// Where a schema id is used, or 40403 when no schema has it.
async fn uses(s: &AppState, id: &str) -> Result<Vec<(String, i64)>, ApiError> {
    let n = parse_id(id)?;
    if s.store.schema_by_id(n).await?.is_none() {
        return Err(ApiError::SchemaNotFound(n as u64));
    }
    Ok(s.store.uses_of(n).await?)
}

async fn get_schema_versions(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let list: Vec<Value> = uses(&s, &id)
        .await?
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(json_response(json!(list)))
}

async fn get_schema_subjects(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut subjects: Vec<String> = uses(&s, &id)
        .await?
        .into_iter()
        .map(|(subject, _)| subject)
        .collect();
    subjects.dedup();
    Ok(json_response(json!(subjects)))
}
