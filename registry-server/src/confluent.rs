//! The Confluent Schema Registry REST API handlers: subjects, versions, schemas by id, config, mode and compatibility.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use evreg_core::{Mode, Policy, Verdict, check_versions};

use crate::auth::Grant;
use crate::store::VersionId;
use crate::{ApiError, AppState, Cached, Shared};
use evreg_api::{
    CompatibilityCheck, Config, ConfigStored, ConfigUpdate, ModeBody, Registered, RegistryMode,
    SchemaById, SchemaRequest, SchemaVersion, SubjectVersion,
};

pub use evreg_api::MEDIA_TYPE;

pub fn json_response(v: impl serde::Serialize) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    r
}

/// A request body, whatever its content type; over the size limit it is a 413 JSON error.
#[derive(Debug)]
pub struct Body(pub axum::body::Bytes);

impl FromRequest<Shared> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Shared) -> Result<Self, Self::Rejection> {
        match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge(state.limits.body_bytes))
            }
            Err(e) => Err(ApiError::BadRequest(format!("request body: {e}"))),
        }
    }
}

impl Body {
    /// Parses the body as JSON into `T`, naming the field that is wrong.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0)
            .map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
    }
}

/// A query boolean as Confluent clients send it: `true` in any case.
pub fn flag(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Query parameters the API understands; unknown ones are ignored, and a
/// repeated one counts once (its first value), as Confluent's server reads them.
#[derive(Debug, Default)]
pub struct Flags {
    deleted: Option<String>,
    permanent: Option<String>,
    verbose: Option<String>,
    default_to_global: Option<String>,
    subject_prefix: Option<String>,
    force: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Flags {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
                .map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
        let mut f = Flags::default();
        for (k, v) in pairs {
            let slot = match k.as_str() {
                "deleted" => &mut f.deleted,
                "permanent" => &mut f.permanent,
                "verbose" => &mut f.verbose,
                "defaultToGlobal" => &mut f.default_to_global,
                "subjectPrefix" => &mut f.subject_prefix,
                "force" => &mut f.force,
                _ => continue,
            };
            slot.get_or_insert(v);
        }
        Ok(f)
    }
}

/// A path parameter; one that is not valid (not UTF-8, say) is a JSON 400.
#[derive(Debug)]
pub struct P<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for P<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(t)) => Ok(P(t)),
            Err(e) => Err(ApiError::BadRequest(format!("path: {}", e.body_text()))),
        }
    }
}

pub async fn schema_types() -> Response {
    json_response(["JSON"])
}

pub async fn list_subjects(
    State(s): State<Shared>,
    grant: MaybeGrant,
    q: Flags,
) -> Result<Response, ApiError> {
    let all: Vec<String> = if flag(&q.deleted) {
        s.store.subjects(true).await?
    } else {
        s.subjects().await?.to_vec()
    };
    let prefix = q.subject_prefix.unwrap_or_default();
    let visible: Vec<&String> = all
        .iter()
        .filter(|n| n.starts_with(&prefix) && crate::auth::may_see(grant.as_ref().map(|g| &g.0), n))
        .collect();
    Ok(json_response(visible))
}

/// Live versions (or, with `deleted`, soft-deleted ones too); 40401 when there are none.
async fn versions_of(
    s: &AppState,
    subject: &str,
    deleted: bool,
) -> Result<Arc<[VersionId]>, ApiError> {
    let versions: Arc<[VersionId]> = if deleted {
        s.store.versions(subject, true).await?.into()
    } else {
        s.versions(subject).await?
    };
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject.to_owned()));
    }
    Ok(versions)
}

pub async fn list_versions(
    State(s): State<Shared>,
    P(subject): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    let versions = versions_of(&s, &subject, flag(&q.deleted)).await?;
    Ok(json_response(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
    ))
}

/// Parses `latest`, `-1` or a version number in [1, 2^31-1].
fn parse_version(version: &str) -> Result<Option<i64>, ApiError> {
    if version == "latest" || version == "-1" {
        return Ok(None);
    }
    version
        .parse()
        .ok()
        .filter(|n| *n >= 1 && *n <= i64::from(i32::MAX))
        .map(Some)
        .ok_or_else(|| ApiError::InvalidVersion(version.to_owned()))
}

/// `latest`, `-1` or a positive version number among `versions`.
fn pick(versions: &[VersionId], version: &str) -> Result<VersionId, ApiError> {
    let wanted = parse_version(version)?;
    let found = match wanted {
        // With `deleted=true` the list holds soft-deleted versions too, and latest is the last of all.
        None => versions.last(),
        Some(n) => versions.iter().find(|v| v.version == n),
    };
    found
        .copied()
        .ok_or_else(|| ApiError::VersionNotFound(version.to_owned()))
}

/// The content of a version, or 40403 when the id is unknown (which would be a broken database).
async fn content_of(s: &AppState, id: i64) -> Result<Arc<crate::Content>, ApiError> {
    s.content(id)
        .await?
        .ok_or(ApiError::SchemaNotFound(id as u64))
}

pub async fn get_version(
    State(s): State<Shared>,
    P((subject, version)): P<(String, String)>,
    q: Flags,
) -> Result<Response, ApiError> {
    let versions = versions_of(&s, &subject, flag(&q.deleted)).await?;
    let v = pick(&versions, &version)?;
    let c = content_of(&s, v.id).await?;
    Ok(json_response(schema_version(&subject, &v, &c)))
}

pub async fn get_version_schema(
    State(s): State<Shared>,
    P((subject, version)): P<(String, String)>,
    q: Flags,
) -> Result<Response, ApiError> {
    let versions = versions_of(&s, &subject, flag(&q.deleted)).await?;
    let v = pick(&versions, &version)?;
    raw(&content_of(&s, v.id).await?.schema)
}

fn raw(schema: &str) -> Result<Response, ApiError> {
    let mut r = schema.to_owned().into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    Ok(r)
}

pub async fn referenced_by(
    State(s): State<Shared>,
    P((subject, version)): P<(String, String)>,
) -> Result<Response, ApiError> {
    let versions = versions_of(&s, &subject, false).await?;
    let v = pick(&versions, &version)?;
    Ok(json_response(
        s.store.referenced_by(&subject, v.version).await?,
    ))
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    match id.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        Ok(n) => Err(ApiError::SchemaNotFound(n.max(0) as u64)),
        Err(_) => Err(ApiError::BadRequest(format!(
            "schema id {id:?} is not an integer"
        ))),
    }
}

/// The request's token, when tokens are configured.
type MaybeGrant = Option<axum::Extension<Grant>>;

/// The content of an id the request may read: a token limited to subject
/// prefixes reads only ids some subject of its own uses (others are 40403,
/// so it learns nothing of them).
async fn readable(
    s: &AppState,
    grant: &MaybeGrant,
    id: i64,
) -> Result<Arc<crate::Content>, ApiError> {
    let c = content_of(s, id).await?;
    if let Some(axum::Extension(g)) = grant
        && !g.0.subjects.is_empty()
    {
        let uses = s.store.uses_of(id, true).await?;
        if !uses.iter().any(|(subject, _)| g.allows_subject(subject)) {
            return Err(ApiError::SchemaNotFound(id as u64));
        }
    }
    Ok(c)
}

pub async fn get_schema(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let unlimited = grant.as_ref().is_none_or(|g| g.0.0.subjects.is_empty());
    let body = match s.cache.by_id(id) {
        Some(body) if unlimited => body,
        _ => {
            let c = readable(&s, &grant, id).await?;
            let body = SchemaById {
                schema: c.schema.to_string(),
                schema_type: "JSON".into(),
                references: c.references.clone(),
            };
            let body: axum::body::Bytes = serde_json::to_vec(&body)
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .into();
            s.cache.put_by_id(id, body.clone());
            body
        }
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    Ok(r)
}

pub async fn get_schema_raw(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(id): P<String>,
) -> Result<Response, ApiError> {
    raw(&readable(&s, &grant, parse_id(&id)?).await?.schema)
}

/// Where a schema id is used (as far as the request may see), or 40403 when no schema has it.
async fn uses(
    s: &AppState,
    grant: &MaybeGrant,
    id: &str,
    deleted: bool,
) -> Result<Vec<(String, i64)>, ApiError> {
    let n = parse_id(id)?;
    readable(s, grant, n).await?;
    let mut uses = s.store.uses_of(n, deleted).await?;
    uses.retain(|(subject, _)| crate::auth::may_see(grant.as_ref().map(|g| &g.0), subject));
    Ok(uses)
}

pub async fn get_schema_versions(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(id): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    let list: Vec<SubjectVersion> = uses(&s, &grant, &id, flag(&q.deleted))
        .await?
        .into_iter()
        .map(|(subject, version)| SubjectVersion { subject, version })
        .collect();
    Ok(json_response(list))
}

pub async fn get_schema_subjects(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(id): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    let mut subjects: Vec<String> = uses(&s, &grant, &id, flag(&q.deleted))
        .await?
        .into_iter()
        .map(|(subject, _)| subject)
        .collect();
    subjects.dedup();
    Ok(json_response(subjects))
}

/// The register and lookup request, checked: JSON only, references well formed.
fn read_schema_request(body: &Body) -> Result<SchemaRequest, ApiError> {
    let req: SchemaRequest = body.parse()?;
    if let Some(t) = req
        .schema_type
        .as_deref()
        .filter(|t| !t.eq_ignore_ascii_case("JSON"))
    {
        return Err(ApiError::InvalidSchema(format!(
            "schemaType {t:?} is not supported; evreg stores JSON schemas"
        )));
    }
    for (i, r) in req.references.iter().enumerate() {
        if r.name.is_empty() || r.subject.is_empty() || r.version < 1 {
            return Err(ApiError::InvalidSchema(format!(
                "references[{i}]: name and subject must be non-empty and version at least 1"
            )));
        }
    }
    Ok(req)
}

/// A token limited to subject prefixes may name only its own subjects in `references`.
fn references_allowed(req: &SchemaRequest, grant: &MaybeGrant) -> Result<(), ApiError> {
    match req
        .references
        .iter()
        .find(|r| !crate::auth::may_see(grant.as_ref().map(|g| &g.0), &r.subject))
    {
        Some(r) => Err(ApiError::Forbidden(format!(
            "This token may not reference subject {:?}",
            r.subject
        ))),
        None => Ok(()),
    }
}

/// One version as the API answers it.
fn schema_version(subject: &str, v: &VersionId, c: &crate::Content) -> SchemaVersion {
    SchemaVersion {
        subject: subject.to_owned(),
        version: v.version,
        id: v.id,
        schema_type: "JSON".into(),
        schema: c.schema.to_string(),
        references: c.references.clone(),
    }
}

pub async fn register(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(subject): P<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let req = read_schema_request(&body)?;
    // A reference pins the version it names (it cannot be deleted after), so it needs the same reach as a write.
    references_allowed(&req, &grant)?;
    let new = s.candidate(&subject, &req.schema, req.references).await?;
    // Like Confluent, a negative or zero id or version means "not given".
    let (id, version) = (req.id.filter(|i| *i > 0), req.version.filter(|v| *v > 0));
    let explicit = (id.is_some() || version.is_some()).then_some((id, version));
    // A registration runs to its end even when the client goes away or the
    // request times out: once committed, the cache, metrics and log follow.
    let state = s.clone();
    let r = tokio::spawn(async move { state.register(&subject, new, explicit).await })
        .await
        .map_err(|e| ApiError::Internal(format!("registration task: {e}")))??;
    Ok(json_response(Registered {
        id: r.id,
        version: Some(r.version),
    }))
}

/// `POST /subjects/{s}`: is this schema already registered under the subject?
pub async fn lookup(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(subject): P<String>,
    q: Flags,
    body: Body,
) -> Result<Response, ApiError> {
    let req = read_schema_request(&body)?;
    references_allowed(&req, &grant)?;
    let new = s.candidate(&subject, &req.schema, req.references).await?;
    let wanted = crate::Content::new(&new.set, new.references);
    let versions = versions_of(&s, &subject, flag(&q.deleted)).await?;
    for v in versions.iter() {
        let c = content_of(&s, v.id).await?;
        if c.hash == wanted.hash {
            return Ok(json_response(schema_version(&subject, v, &c)));
        }
    }
    Err(ApiError::SchemaNotFoundInSubject)
}

/// Checks a candidate against the chosen versions under the subject's settings.
async fn compatibility(
    s: &AppState,
    grant: &MaybeGrant,
    subject: &str,
    version: Option<&str>,
    body: &Body,
    verbose: bool,
) -> Result<Response, ApiError> {
    let req = read_schema_request(body)?;
    references_allowed(&req, grant)?;
    let candidate = s.candidate(subject, &req.schema, req.references).await?;
    let versions = s.versions(subject).await?;
    let (mode, policy) = s.effective_config(subject).await?;
    let against: Vec<VersionId> = match version {
        Some(v) => {
            if versions.is_empty() {
                return Err(ApiError::SubjectNotFound(subject.to_owned()));
            }
            vec![pick(&versions, v)?]
        }
        None => versions.to_vec(),
    };
    let mut sets = Vec::with_capacity(against.len() + 1);
    for v in &against {
        let c = content_of(s, v.id).await?;
        sets.push(
            s.version_set(subject, v.version, &c, &mut Cached(s))
                .await?,
        );
    }
    sets.push(candidate.set);
    // One named version is checked alone; the whole list under the subject's (transitive) mode.
    let mode = match (version.is_some(), mode) {
        (true, Mode::BackwardTransitive) => Mode::Backward,
        (true, Mode::ForwardTransitive) => Mode::Forward,
        (true, Mode::FullTransitive) => Mode::Full,
        (_, m) => m,
    };
    let report =
        check_versions(&sets, mode, policy).map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    let compatible = report.verdict == Verdict::Compatible;
    let mut out = CompatibilityCheck {
        is_compatible: compatible,
        messages: None,
        evreg: None,
    };
    if verbose {
        let messages: Vec<String> = report
            .changes
            .iter()
            .map(|c| format!("{} {}: {}", c.kind, c.path, c.message))
            .chain(report.reasons.iter().cloned())
            .collect();
        out.messages = Some(messages);
        out.evreg = Some(report);
    }
    Ok(json_response(out))
}

pub async fn compatibility_all(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P(subject): P<String>,
    q: Flags,
    body: Body,
) -> Result<Response, ApiError> {
    compatibility(&s, &grant, &subject, None, &body, flag(&q.verbose)).await
}

pub async fn compatibility_one(
    State(s): State<Shared>,
    grant: MaybeGrant,
    P((subject, version)): P<(String, String)>,
    q: Flags,
    body: Body,
) -> Result<Response, ApiError> {
    compatibility(
        &s,
        &grant,
        &subject,
        Some(&version),
        &body,
        flag(&q.verbose),
    )
    .await
}

fn config_json(mode: Mode, policy: Policy) -> Config {
    Config {
        compatibility_level: mode,
        compatibility_policy: policy,
    }
}

pub async fn get_global_config(State(s): State<Shared>) -> Result<Response, ApiError> {
    let (mode, policy) = s.effective_config("").await?;
    Ok(json_response(config_json(mode, policy)))
}

pub async fn put_global_config(State(s): State<Shared>, body: Body) -> Result<Response, ApiError> {
    set_config(&s, "", &body).await
}

/// `PUT /config` and `PUT /config/{s}`: the global settings are the subject `""`.
async fn set_config(s: &AppState, subject: &str, body: &Body) -> Result<Response, ApiError> {
    let req: ConfigUpdate = body.parse()?;
    let level = match (&req.compatibility, &req.compatibility_level) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
            return Err(ApiError::InvalidCompatibility(format!(
                "compatibility {a:?} and compatibilityLevel {b:?} disagree; give one"
            )));
        }
        (Some(a), _) | (None, Some(a)) => a.as_str(),
        (None, None) => {
            return Err(ApiError::InvalidCompatibility(
                "compatibility: required, one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE".into(),
            ));
        }
    };
    let mode: Mode = level.parse().map_err(ApiError::InvalidCompatibility)?;
    let policy: Option<Policy> = match &req.compatibility_policy {
        Some(p) => Some(p.parse().map_err(ApiError::InvalidCompatibility)?),
        None => None,
    };
    s.store
        .set_config(subject, mode.as_str(), policy.map(Policy::as_str))
        .await?;
    Ok(json_response(ConfigStored {
        compatibility: mode,
        compatibility_policy: policy,
    }))
}

/// `DELETE /config[/{s}]`: answers the settings that were in force, then falls back.
async fn delete_config(s: &AppState, subject: &str) -> Result<Response, ApiError> {
    let (mode, policy) = s.effective_config(subject).await?;
    if !s.store.delete_config(subject).await? && !subject.is_empty() {
        return Err(ApiError::SubjectConfigNotFound(subject.to_owned()));
    }
    Ok(json_response(config_json(mode, policy)))
}

pub async fn delete_global_config(State(s): State<Shared>) -> Result<Response, ApiError> {
    delete_config(&s, "").await
}

pub async fn get_subject_config(
    State(s): State<Shared>,
    P(subject): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    let own = s.store.config(&subject).await?;
    if own.is_none() && !flag(&q.default_to_global) {
        return Err(ApiError::SubjectConfigNotFound(subject));
    }
    let (mode, policy) = s.effective_config(&subject).await?;
    Ok(json_response(config_json(mode, policy)))
}

pub async fn put_subject_config(
    State(s): State<Shared>,
    P(subject): P<String>,
    body: Body,
) -> Result<Response, ApiError> {
    set_config(&s, &subject, &body).await
}

pub async fn delete_subject_config(
    State(s): State<Shared>,
    P(subject): P<String>,
) -> Result<Response, ApiError> {
    delete_config(&s, &subject).await
}

fn mode_body(mode: String) -> Response {
    json_response(ModeBody { mode })
}

pub async fn get_global_mode(State(s): State<Shared>) -> Result<Response, ApiError> {
    Ok(mode_body(s.effective_mode("").await?))
}

/// `PUT /mode[/{s}]`. IMPORT is allowed only on an empty registry or subject, unless `force=true`.
async fn set_mode(
    s: &AppState,
    subject: &str,
    body: &Body,
    force: bool,
) -> Result<Response, ApiError> {
    let req: ModeBody = body.parse()?;
    let Some(mode) = RegistryMode::parse(&req.mode) else {
        return Err(ApiError::InvalidMode(req.mode));
    };
    if mode == RegistryMode::Import && !force {
        let occupied = if subject.is_empty() {
            !s.store.subjects(true).await?.is_empty()
        } else {
            !s.store.versions(subject, true).await?.is_empty()
        };
        if occupied {
            return Err(ApiError::OperationNotPermitted(format!(
                "Cannot import since found existing subjects{}; pass force=true to import anyway",
                if subject.is_empty() {
                    String::new()
                } else {
                    format!(" ({subject})")
                }
            )));
        }
    }
    s.store.set_mode(subject, mode.as_str()).await?;
    Ok(mode_body(mode.as_str().to_owned()))
}

pub async fn put_global_mode(
    State(s): State<Shared>,
    q: Flags,
    body: Body,
) -> Result<Response, ApiError> {
    set_mode(&s, "", &body, flag(&q.force)).await
}

pub async fn get_subject_mode(
    State(s): State<Shared>,
    P(subject): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    match s.store.mode(&subject).await? {
        Some(m) => Ok(mode_body(m)),
        None if flag(&q.default_to_global) => Ok(mode_body(s.effective_mode(&subject).await?)),
        None => Err(ApiError::SubjectModeNotFound(subject)),
    }
}

pub async fn put_subject_mode(
    State(s): State<Shared>,
    P(subject): P<String>,
    q: Flags,
    body: Body,
) -> Result<Response, ApiError> {
    set_mode(&s, &subject, &body, flag(&q.force)).await
}

pub async fn delete_subject_mode(
    State(s): State<Shared>,
    P(subject): P<String>,
) -> Result<Response, ApiError> {
    let Some(m) = s.store.mode(&subject).await? else {
        return Err(ApiError::SubjectModeNotFound(subject));
    };
    s.store.delete_mode(&subject).await?;
    Ok(mode_body(m))
}

/// Deletes under the subject's lock, refusing (42206) when a live schema references a version.
async fn delete_versions(
    s: &AppState,
    subject: &str,
    version: Option<i64>,
    permanent: bool,
) -> Result<Vec<i64>, ApiError> {
    let mut tx = s.store.begin_register(subject).await?;
    let outcome = tx.delete(version, permanent).await?;
    tx.commit().await?;
    s.wrote(subject);
    outcome.map_err(|(v, by)| {
        ApiError::ReferenceExists(format!(
            "One or more references exist to the schema {{subject={subject},version={v}}}: schema ids {by:?}"
        ))
    })
}

/// `DELETE /subjects/{s}`: soft-deletes every version; `permanent=true` then removes them for good.
pub async fn delete_subject(
    State(s): State<Shared>,
    P(subject): P<String>,
    q: Flags,
) -> Result<Response, ApiError> {
    let permanent = flag(&q.permanent);
    s.writable(&subject).await?;
    if permanent && s.store.has(&subject, None, 0).await? {
        return Err(ApiError::SubjectNotSoftDeleted(subject));
    }
    let deleted = delete_versions(&s, &subject, None, permanent).await?;
    if deleted.is_empty() {
        return Err(ApiError::SubjectNotFound(subject));
    }
    Ok(json_response(deleted))
}

/// `DELETE /subjects/{s}/versions/{v}`: the same for one version.
pub async fn delete_version(
    State(s): State<Shared>,
    P((subject, version)): P<(String, String)>,
    q: Flags,
) -> Result<Response, ApiError> {
    let permanent = flag(&q.permanent);
    s.writable(&subject).await?;
    let n = match parse_version(&version)? {
        Some(n) => n,
        None => pick(&versions_of(&s, &subject, false).await?, &version)?.version,
    };
    if permanent && s.store.has(&subject, Some(n), 0).await? {
        return Err(ApiError::VersionNotSoftDeleted(subject, n));
    }
    let deleted = delete_versions(&s, &subject, Some(n), permanent).await?;
    match deleted.first() {
        Some(v) => Ok(json_response(v)),
        None if s.store.has(&subject, None, 0).await? || s.store.has(&subject, None, 1).await? => {
            Err(ApiError::VersionNotFound(version))
        }
        None => Err(ApiError::SubjectNotFound(subject)),
    }
}
