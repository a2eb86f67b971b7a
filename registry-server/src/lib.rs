//! evreg-server: the registry server, speaking the Confluent Schema Registry REST API for JSON schemas over SQLite or PostgreSQL.
//!
//! `app(state)` is the whole HTTP surface (tests drive it with `oneshot`,
//! no socket); `serve(listener, state, shutdown)` runs it. Status codes live
//! in `error.rs` only. Every new version is checked by evreg-core under the
//! subject's mode and policy inside the write transaction, which holds the
//! subject's lock.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter};
use evreg_core::config::RegistryConfig;
use evreg_core::schema::resolve_uri;
use evreg_core::{Mode, Policy, SchemaSet, Verdict, check_versions};
use serde_json::Value;

pub mod auth;
mod browser;
mod cache;
mod confluent;
mod error;
mod extras;
pub mod metrics;
pub mod store;
pub mod ui;

pub use auth::{Role, Tokens};
pub use error::ApiError;
pub use evreg_api::{Op, ROUTES, Reference, path_segment, version_uri};
pub use store::{Content, Store};

use cache::Cache;
use store::VersionId;

/// Largest schema, in nodes with every `$ref` expanded, the registry accepts.
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// Limits every request is held to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes (413 beyond it).
    pub body_bytes: usize,
    /// Longest a request may take before it is answered with 503 and abandoned.
    pub request_timeout: Duration,
    /// How long a replica may serve a subject's version list before asking the database again.
    pub version_ttl: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            version_ttl: Duration::from_millis(500),
        }
    }
}

/// Shared state of every request.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// Defaults when neither the subject nor the global config says otherwise.
    pub default_mode: Mode,
    pub default_policy: Policy,
    /// The topology (`evreg.toml`), for `/topology` and `/validate`.
    pub topology: Option<Arc<RegistryConfig>>,
    /// The common envelope every message is wrapped in, for `/validate`.
    pub envelope: Option<Arc<SchemaSet>>,
    /// Bearer tokens; `None` means anonymous access (loopback only, checked by the caller).
    pub tokens: Option<Arc<Tokens>>,
    /// With tokens configured, let requests that only read through without one.
    pub open_reads: bool,
    /// Listening on loopback: answer only requests whose Host is a loopback name (DNS rebinding).
    pub loopback_only: bool,
    pub limits: Limits,
    cache: Arc<Cache>,
    validators: Arc<extras::Validators>,
    /// The web UI's sessions and search index.
    pub ui: Arc<ui::UiState>,
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(store: Store) -> AppState {
        AppState::with_limits(store, Limits::default())
    }

    pub fn with_limits(store: Store, limits: Limits) -> AppState {
        AppState {
            store,
            default_mode: Mode::FullTransitive,
            default_policy: Policy::Lenient,
            topology: None,
            envelope: None,
            tokens: None,
            open_reads: false,
            loopback_only: false,
            limits,
            cache: Arc::new(Cache::new(limits.version_ttl)),
            validators: Arc::default(),
            ui: Arc::default(),
            metrics: Arc::default(),
        }
    }
}

type Shared = Arc<AppState>;

/// The registry's routes, with auth, limits and metrics around them: one
/// endpoint per route of [`evreg_api::ROUTES`], each behind the check its
/// [`Access`](evreg_api::Access) asks for.
pub fn app(state: AppState) -> Router {
    let limits = state.limits;
    let shared = Arc::new(state);
    let mut router = Router::new();
    for route in evreg_api::ROUTES {
        let filter = match route.method {
            evreg_api::Method::Get => MethodFilter::GET,
            evreg_api::Method::Post => MethodFilter::POST,
            evreg_api::Method::Put => MethodFilter::PUT,
            evreg_api::Method::Delete => MethodFilter::DELETE,
        };
        let endpoint = endpoint(route.op, filter);
        // The UI's pages sign browsers in through their own session; the API takes bearer tokens.
        let endpoint = if route.doc.is_none() {
            ui::guarded(endpoint, route, &shared)
        } else if shared.tokens.is_some() {
            endpoint.route_layer(axum::middleware::from_fn_with_state(
                (shared.clone(), route),
                auth::authorize,
            ))
        } else {
            // Anonymous (loopback only): nothing to check, so no layer to pass through.
            endpoint
        };
        router = router.route(route.path, endpoint);
    }
    router
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::RouteNotFound })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            metrics::observe,
        ))
        // Past the limit the body extractor refuses with 413, which `Body` turns into JSON.
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .with_state(shared)
}

/// The handler of each operation; the match is exhaustive, so a route
/// declared without a handler does not compile.
fn endpoint(op: Op, m: MethodFilter) -> MethodRouter<Shared> {
    use axum::routing::on;
    use confluent as c;
    use ui::{pages as p, topology as t};
    match op {
        Op::ListSubjects => on(m, c::list_subjects),
        Op::LookUp => on(m, c::lookup),
        Op::DeleteSubject => on(m, c::delete_subject),
        Op::ListVersions => on(m, c::list_versions),
        Op::Register => on(m, c::register),
        Op::GetVersion => on(m, c::get_version),
        Op::DeleteVersion => on(m, c::delete_version),
        Op::GetVersionSchema => on(m, c::get_version_schema),
        Op::ReferencedBy => on(m, c::referenced_by),
        Op::GetSchema => on(m, c::get_schema),
        Op::GetSchemaRaw => on(m, c::get_schema_raw),
        Op::GetSchemaVersions => on(m, c::get_schema_versions),
        Op::GetSchemaSubjects => on(m, c::get_schema_subjects),
        Op::SchemaTypes => on(m, c::schema_types),
        Op::GetGlobalConfig => on(m, c::get_global_config),
        Op::PutGlobalConfig => on(m, c::put_global_config),
        Op::DeleteGlobalConfig => on(m, c::delete_global_config),
        Op::GetSubjectConfig => on(m, c::get_subject_config),
        Op::PutSubjectConfig => on(m, c::put_subject_config),
        Op::DeleteSubjectConfig => on(m, c::delete_subject_config),
        Op::GetGlobalMode => on(m, c::get_global_mode),
        Op::PutGlobalMode => on(m, c::put_global_mode),
        Op::GetSubjectMode => on(m, c::get_subject_mode),
        Op::PutSubjectMode => on(m, c::put_subject_mode),
        Op::DeleteSubjectMode => on(m, c::delete_subject_mode),
        Op::CompatibilityAll => on(m, c::compatibility_all),
        Op::CompatibilityOne => on(m, c::compatibility_one),
        Op::Validate => on(m, extras::validate),
        Op::ValidateBatch => on(m, extras::validate_batch),
        Op::TopologyRoute => on(m, extras::topology),
        Op::AsyncApi => on(m, extras::asyncapi),
        Op::OpenApi => on(m, extras::openapi),
        Op::Metrics => on(m, extras::metrics),
        Op::Healthz => on(m, extras::healthz),
        Op::UiHome => on(m, ui::home),
        Op::UiLoginForm => on(m, ui::login_form),
        Op::UiLogin => on(m, ui::login),
        Op::UiLogout => on(m, ui::logout),
        Op::UiAsset => on(m, ui::asset),
        Op::UiSubjects => on(m, p::subjects),
        Op::UiSubject => on(m, p::subject),
        Op::UiVersion => on(m, p::version),
        Op::UiDiffDefault => on(m, p::diff_default),
        Op::UiDiff => on(m, p::diff),
        Op::UiCheckForm => on(m, p::check_form),
        Op::UiCheck => on(m, p::check),
        Op::UiValidateForm => on(m, p::validate_form),
        Op::UiValidate => on(m, p::validate),
        Op::UiTopology => on(m, t::page_handler),
        Op::UiSettings => on(m, p::settings),
        Op::UiSaveSettings => on(m, p::save_settings),
    }
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

/// One version of a schema directory, ready to import: its routing key,
/// its file (for messages), and the documents it is stored as.
#[derive(Debug, Clone)]
pub struct ImportVersion {
    pub subject: String,
    pub file: String,
    pub documents: Vec<evreg_core::layout::RegistryDocument>,
}

/// Names the file an import error came from.
fn in_file(file: &str, e: ApiError) -> ApiError {
    match e {
        ApiError::Incompatible(m, report) => ApiError::Incompatible(format!("{file}: {m}"), report),
        ApiError::InvalidSchema(m) => ApiError::InvalidSchema(format!("{file}: {m}")),
        other => other,
    }
}

/// The queues routes reach, in binding order without repeats, and the
/// services consuming them, sorted.
fn reach<'a>(routes: &[evreg_core::config::Route<'a>]) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut queues: Vec<&str> = Vec::new();
    for r in routes {
        if !queues.contains(&r.queue) {
            queues.push(r.queue);
        }
    }
    let mut consumers: Vec<&str> = routes.iter().flat_map(|r| r.consumers.clone()).collect();
    consumers.sort_unstable();
    consumers.dedup();
    (queues, consumers)
}

/// What a registration did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub id: i64,
    pub version: i64,
    /// False when the same content was already a live version of the subject.
    pub added: bool,
}

/// A schema as a client sends it: the JSON text plus references.
#[derive(Debug, Clone)]
pub struct NewSchema {
    pub set: SchemaSet,
    pub references: Vec<Reference>,
}

/// A subject may be any name of 1 to 255 bytes without control characters.
fn valid_subject(subject: &str) -> Result<(), ApiError> {
    if subject.trim().is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
        return Err(ApiError::InvalidSubject(subject.chars().take(80).collect()));
    }
    Ok(())
}

/// Parses a schema text as a schema set rooted at `uri` (its references not added yet).
fn parse_schema(uri: &str, text: &str) -> Result<SchemaSet, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::InvalidSchema(format!("schema is not JSON: {e}")))?;
    let mut set = SchemaSet::new(uri, value).map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    set.read_literals(0, text);
    Ok(set)
}

/// Reads referenced content, within a registration or outside one.
trait ContentSource {
    async fn referenced(&mut self, r: &Reference) -> Result<Option<(i64, Arc<Content>)>, ApiError>;
}

struct InTx<'a>(&'a mut store::Registration);

impl ContentSource for InTx<'_> {
    async fn referenced(&mut self, r: &Reference) -> Result<Option<(i64, Arc<Content>)>, ApiError> {
        let Some(id) = self.0.version_id(&r.subject, r.version).await? else {
            return Ok(None);
        };
        Ok(self.0.content(id).await?.map(|c| (id, Arc::new(c))))
    }
}

struct Cached<'a>(&'a AppState);

impl ContentSource for Cached<'_> {
    async fn referenced(&mut self, r: &Reference) -> Result<Option<(i64, Arc<Content>)>, ApiError> {
        let versions = self.0.store.versions(&r.subject, true).await?;
        let Some(v) = versions.iter().find(|v| v.version == r.version) else {
            return Ok(None);
        };
        Ok(self.0.content(v.id).await?.map(|c| (v.id, c)))
    }
}

/// Adds the documents `references` name to `set`, transitively, each under
/// its name resolved against the document that names it (and against that
/// document's `$id`, when it declares one), then the standard metaschemas
/// its references name.
async fn add_references(
    set: &mut SchemaSet,
    references: &[Reference],
    src: &mut impl ContentSource,
) -> Result<(), ApiError> {
    let mut todo: Vec<(usize, Reference)> = references.iter().map(|r| (0, r.clone())).collect();
    let mut seen = 0usize;
    while let Some((from, r)) = todo.pop() {
        seen += 1;
        if seen > 1000 {
            return Err(ApiError::InvalidSchema(
                "references: more than 1000 documents; is there a cycle?".into(),
            ));
        }
        let uri = resolve_uri(set.doc_uri(from), &r.name);
        let by_id = resolve_uri(&set.base_uri(from), &r.name);
        if let Some(doc) = set.document_by_uri(&uri) {
            set.alias(&by_id, doc);
            continue;
        }
        let Some((_, content)) = src.referenced(&r).await? else {
            return Err(ApiError::InvalidSchema(format!(
                "references: {} version {} (named {:?}) does not exist",
                r.subject, r.version, r.name
            )));
        };
        let value: Value = serde_json::from_str(&content.schema)
            .map_err(|e| ApiError::Internal(format!("stored schema is not JSON: {e}")))?;
        let doc = set
            .add(&uri, value)
            .map_err(|e| ApiError::InvalidSchema(format!("references: {:?}: {e}", r.name)))?;
        set.read_literals(doc, &content.schema);
        set.alias(&by_id, doc);
        todo.extend(content.references.iter().map(|n| (doc, n.clone())));
    }
    set.add_known_documents()
        .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
    Ok(())
}

impl AppState {
    /// Content by id, from memory when seen before.
    pub async fn content(&self, id: i64) -> Result<Option<Arc<Content>>, ApiError> {
        if let Some(c) = self.cache.content(id) {
            return Ok(Some(c));
        }
        let Some(c) = self.store.content(id).await? else {
            return Ok(None);
        };
        let c = Arc::new(c);
        self.cache.put_content(id, c.clone());
        Ok(Some(c))
    }

    /// A subject's live versions, oldest first; at most `version_ttl` old.
    pub async fn versions(&self, subject: &str) -> Result<Arc<[VersionId]>, ApiError> {
        if let Some(v) = self.cache.versions(subject) {
            return Ok(v);
        }
        let since = (Instant::now(), self.cache.generation());
        let v: Arc<[VersionId]> = self.store.versions(subject, false).await?.into();
        self.cache.put_versions(subject, since, v.clone());
        Ok(v)
    }

    /// Subjects with a live version; at most `version_ttl` old.
    pub async fn subjects(&self) -> Result<Arc<[String]>, ApiError> {
        if let Some(s) = self.cache.subjects() {
            return Ok(s);
        }
        let since = (Instant::now(), self.cache.generation());
        let s: Arc<[String]> = self.store.subjects(false).await?.into();
        self.cache.put_subjects(since, s.clone());
        Ok(s)
    }

    /// The schema set of a stored version, references included.
    async fn version_set(
        &self,
        subject: &str,
        version: i64,
        content: &Content,
        src: &mut impl ContentSource,
    ) -> Result<SchemaSet, ApiError> {
        let uri = version_uri(subject, version);
        let mut set = parse_schema(&uri, &content.schema)?;
        add_references(&mut set, &content.references, src).await?;
        Ok(set)
    }

    /// Parses a client's schema text with its references, resolved outside any transaction.
    pub async fn candidate(
        &self,
        subject: &str,
        text: &str,
        references: Vec<Reference>,
    ) -> Result<NewSchema, ApiError> {
        let uri = version_uri(subject, 0);
        let mut set = parse_schema(&uri, text)?;
        add_references(&mut set, &references, &mut Cached(self)).await?;
        // Well-formed once its references are in (every `$ref` resolves), and
        // it must compile as a validator (every `pattern` a valid regex,
        // whatever the dialect says of `format: regex`) and stay small when
        // its `$ref`s are expanded: else `/validate` would fail or take
        // exponential time on it later.
        evreg_core::schema::Validator::new(&set)
            .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
        if set.expanded_size(MAX_EXPANDED_NODES).is_none() {
            return Err(ApiError::InvalidSchema(format!(
                "expands to more than {MAX_EXPANDED_NODES} schema nodes through its $refs (a chain of anyOf/oneOf/allOf over the same $ref doubles at each step); validating against it would take exponential time"
            )));
        }
        Ok(NewSchema { set, references })
    }

    /// The subject's effective (mode, policy): its own config, the global one, or the server default.
    pub async fn effective_config(&self, subject: &str) -> Result<(Mode, Policy), ApiError> {
        let own = self.store.config(subject).await?;
        let global = if subject.is_empty() {
            None
        } else {
            self.store.config("").await?
        };
        let (mode, policy) = match (own, global) {
            (Some((m, p)), g) => (Some(m), p.or(g.and_then(|g| g.1))),
            (None, Some((m, p))) => (Some(m), p),
            (None, None) => (None, None),
        };
        let mode = match mode {
            Some(m) => m.parse().map_err(ApiError::Internal)?,
            None => self.default_mode,
        };
        let policy = match policy {
            Some(p) => p.parse().map_err(ApiError::Internal)?,
            None => self.default_policy,
        };
        Ok((mode, policy))
    }

    /// The subject's effective read/write mode: its own, the global one, or READWRITE.
    pub async fn effective_mode(&self, subject: &str) -> Result<String, ApiError> {
        if let Some(m) = self.store.mode(subject).await? {
            return Ok(m);
        }
        Ok(self
            .store
            .mode("")
            .await?
            .unwrap_or_else(|| "READWRITE".to_owned()))
    }

    /// Refuses writes to a subject in READONLY mode.
    async fn writable(&self, subject: &str) -> Result<String, ApiError> {
        let mode = self.effective_mode(subject).await?;
        if mode == "READONLY" {
            return Err(ApiError::OperationNotPermitted(format!(
                "Subject {subject} is in read-only mode"
            )));
        }
        Ok(mode)
    }

    /// Registers a schema under `subject` after checking it against the live
    /// versions under the subject's mode and policy, in one transaction
    /// holding the subject's lock. The same content again is not a new
    /// version. `explicit` (id, version) is honoured in IMPORT mode only, and
    /// skips the compatibility check, as Confluent does.
    pub async fn register(
        &self,
        subject: &str,
        new: NewSchema,
        explicit: Option<(Option<i64>, Option<i64>)>,
    ) -> Result<Registered, ApiError> {
        valid_subject(subject)?;
        let mode_rw = self.writable(subject).await?;
        let import = mode_rw == "IMPORT";
        if explicit.is_some_and(|e| e != (None, None)) && !import {
            return Err(ApiError::OperationNotPermitted(format!(
                "Subject {subject}: a schema id or version may be given only in IMPORT mode"
            )));
        }
        let content = Content::new(&new.set, new.references.clone());
        let hash = content.hash.clone();
        let (mode, policy) = self.effective_config(subject).await?;
        let mut tx = self.store.begin_register(subject).await?;
        if let Some((id, version)) = tx.existing(&hash).await? {
            tx.commit().await?;
            return Ok(Registered {
                id,
                version,
                added: false,
            });
        }
        let live = tx.live().await?;
        let (want_id, want_version) = match explicit {
            Some((id, version)) if import => {
                if let Some(id) = id {
                    if !(1..=i64::from(i32::MAX)).contains(&id) {
                        return Err(ApiError::BadRequest(format!(
                            "id {id}: schema ids are between 1 and 2^31-1 (clients carry them as 4-byte integers)"
                        )));
                    }
                    if let Some(existing) = tx.id_of(&hash).await?
                        && existing != id
                    {
                        return Err(ApiError::OperationNotPermitted(format!(
                            "This content is already stored with id {existing}, not {id}"
                        )));
                    }
                    if let Some(other) = tx.content(id).await?
                        && other.hash != hash
                    {
                        return Err(ApiError::OperationNotPermitted(format!(
                            "Schema id {id} is already taken by other content"
                        )));
                    }
                }
                if let Some(version) = version {
                    // Any version ever used, deleted or not, stays used.
                    if !(1..=i64::from(i32::MAX)).contains(&version)
                        || tx.version_taken(version).await?
                    {
                        return Err(ApiError::InvalidVersion(version.to_string()));
                    }
                }
                (id, version)
            }
            _ => (None, None),
        };
        // References are read again under a shared lock on their subjects: a
        // permanent delete cannot slip in between this check and the commit.
        for r in &content.references {
            if !tx.reference_exists(&r.subject, r.version).await? {
                return Err(ApiError::InvalidSchema(format!(
                    "references: {} version {} (named {:?}) does not exist",
                    r.subject, r.version, r.name
                )));
            }
        }
        if !import && !live.is_empty() && mode != Mode::None {
            let mut sets = Vec::with_capacity(live.len() + 1);
            for v in live.iter() {
                // Content by id never changes: memory first, else read in the transaction.
                let c = match self.cache.content(v.id) {
                    Some(c) => c,
                    None => {
                        let Some(c) = tx.content(v.id).await? else {
                            return Err(ApiError::Internal(format!(
                                "{subject} version {} has no schema {}",
                                v.version, v.id
                            )));
                        };
                        let c = Arc::new(c);
                        self.cache.put_content(v.id, c.clone());
                        c
                    }
                };
                sets.push(
                    self.version_set(subject, v.version, &c, &mut InTx(&mut tx))
                        .await?,
                );
            }
            sets.push(new.set);
            let report = check_versions(&sets, mode, policy)
                .map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
            if report.verdict != Verdict::Compatible {
                self.metrics.refusal();
                let messages: Vec<String> = report
                    .changes
                    .iter()
                    .map(|c| c.message.clone())
                    .chain(report.reasons.iter().cloned())
                    .collect();
                let text = format!(
                    "Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({mode}, {policy}, {}): {}",
                    report.verdict.as_str(),
                    messages.join("; ")
                );
                let refusal = evreg_api::Refusal {
                    report,
                    affected: self.consumers_of(subject),
                };
                return Err(ApiError::Incompatible(text, Box::new(refusal)));
            }
        }
        let (id, version) = tx.insert(&content, want_id, want_version).await?;
        tx.commit().await?;
        self.cache.invalidate(subject);
        self.metrics.registration();
        tracing::info!(%subject, id, version, "registered");
        Ok(Registered {
            id,
            version,
            added: true,
        })
    }

    /// Registers the versions of a schema directory, in order, each as the
    /// documents [`registry_documents`](evreg_core::layout::registry_documents)
    /// splits it into: shared files first, as subjects of their own that the
    /// version references. Versions already present are left as they are.
    /// Returns how many versions were new.
    pub async fn import(&self, versions: &[ImportVersion]) -> Result<usize, ApiError> {
        let mut added = 0;
        let mut latest: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for v in versions {
            for doc in &v.documents {
                let subject = doc.subject.as_deref().unwrap_or(&v.subject);
                let mut references = Vec::with_capacity(doc.references.len());
                for (name, target) in &doc.references {
                    let version = *latest.get(target).ok_or_else(|| {
                        ApiError::Internal(format!("{target} was not registered before {subject}"))
                    })?;
                    references.push(Reference {
                        name: name.clone(),
                        subject: target.clone(),
                        version,
                    });
                }
                let new = self
                    .candidate(subject, &doc.schema.to_string(), references)
                    .await
                    .map_err(|e| in_file(&v.file, e))?;
                let r = self
                    .register(subject, new, None)
                    .await
                    .map_err(|e| in_file(&v.file, e))?;
                latest.insert(subject.to_owned(), r.version);
                if r.added && doc.subject.is_none() {
                    added += 1;
                }
            }
        }
        Ok(added)
    }

    /// The queues and consuming services a routing key reaches, from the
    /// topology: who a breaking change would hit.
    fn consumers_of(&self, subject: &str) -> Option<evreg_api::Reach> {
        let key: evreg_core::RoutingKey = subject.parse().ok()?;
        let (queues, consumers) = reach(&self.topology.as_ref()?.routes(&key));
        Some(evreg_api::Reach {
            queues: queues.into_iter().map(str::to_owned).collect(),
            consumers: consumers.into_iter().map(str::to_owned).collect(),
        })
    }

    /// Forgets cached versions of a subject after a write that is not a registration.
    fn wrote(&self, subject: &str) {
        self.cache.invalidate(subject);
    }
}
