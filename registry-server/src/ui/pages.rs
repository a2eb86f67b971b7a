//! The UI's screens: subjects, a subject's timeline, a version, a diff that explains itself, check, validate and settings.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use evreg_core::compat::Direction;
use evreg_core::schema::Validator;
use evreg_core::{Mode, Policy, Report, RoutingKey, SchemaSet, Verdict, check_versions};
use serde_json::Value;

use super::html::{
    diff_lines, esc, json_block, line_of, query_value, schema_block, schema_lines, side_by_side,
};
use super::{Viewer, error_page, form, page, redirect};
use crate::auth::Role;
use crate::store::{Content, VersionId};
use crate::{ApiError, AppState, Cached, Shared, path_segment};

/// A subject's link.
pub fn subject_href(subject: &str) -> String {
    format!("/ui/subjects/{}", path_segment(subject))
}

fn api_error(viewer: &Viewer, e: ApiError) -> Response {
    let status = match &e {
        ApiError::SubjectNotFound(_) | ApiError::VersionNotFound(_) => StatusCode::NOT_FOUND,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::InvalidSchema(_) | ApiError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(viewer, status, "Cannot show this", &e.to_string())
}

/// A screen's answer: its page, or the error shown in the page's frame.
fn answer(viewer: &Viewer, page: Result<Response, ApiError>) -> Response {
    page.unwrap_or_else(|e| api_error(viewer, e))
}

/// Refuses a subject the viewer's token may not see, as the API does.
fn visible(viewer: &Viewer, subject: &str) -> Result<(), ApiError> {
    if viewer.may_see(subject) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "this token may not read subject {subject:?}"
        )))
    }
}

/// One stored version with its content and schema set.
struct Loaded {
    id: VersionId,
    content: Arc<Content>,
    set: SchemaSet,
}

async fn load_versions(s: &AppState, subject: &str) -> Result<Vec<Loaded>, ApiError> {
    let versions = s.versions(subject).await?;
    if versions.is_empty() {
        return Err(ApiError::SubjectNotFound(subject.to_owned()));
    }
    let mut out = Vec::with_capacity(versions.len());
    for v in versions.iter() {
        let content = s
            .content(v.id)
            .await?
            .ok_or(ApiError::SchemaNotFound(v.id as u64))?;
        let set = s
            .version_set(subject, v.version, &content, &mut Cached(s))
            .await?;
        out.push(Loaded {
            id: *v,
            content,
            set,
        });
    }
    Ok(out)
}

fn pick<'a>(versions: &'a [Loaded], v: &str) -> Result<&'a Loaded, ApiError> {
    if v == "latest" {
        return versions
            .last()
            .ok_or_else(|| ApiError::VersionNotFound(v.to_owned()));
    }
    v.parse::<i64>()
        .ok()
        .and_then(|n| versions.iter().find(|l| l.id.version == n))
        .ok_or_else(|| ApiError::VersionNotFound(v.to_owned()))
}

/// The mode one pair of versions is explained under: the non-transitive
/// form of the subject's, and FULL for a subject that enforces nothing
/// (NONE would call every step compatible and explain nothing).
fn pairwise(mode: Mode) -> Mode {
    match mode {
        Mode::BackwardTransitive => Mode::Backward,
        Mode::ForwardTransitive => Mode::Forward,
        Mode::FullTransitive | Mode::None => Mode::Full,
        m => m,
    }
}

fn verdict_badge(v: Verdict) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", v.as_str())
}

// ---------------------------------------------------------------- subjects

/// What a search asks for.
enum Search<'a> {
    All,
    /// A binding pattern (`auth.*.created`): the routing keys it matches.
    Pattern(evreg_core::BindingPattern),
    /// A JSON pointer into an event (`/payload/email`).
    Pointer(&'a str),
    /// A name: subjects whose name contains it, or with a field of that name.
    Name(&'a str),
}

impl<'a> Search<'a> {
    fn parse(q: &'a str) -> Search<'a> {
        let q = q.trim();
        if q.is_empty() {
            Search::All
        } else if q.starts_with('/') {
            Search::Pointer(q)
        } else if q.split('.').any(|w| w == "*" || w == "#") {
            evreg_core::BindingPattern::new(q).map_or(Search::Name(q), Search::Pattern)
        } else {
            Search::Name(q)
        }
    }
}

/// The pointers into an event a payload schema declares (`/payload/email`,
/// `/payload/items/0/sku`), following properties, items, combinators and
/// local `$ref`s, a bounded depth deep.
pub fn event_pointers(schema: &Value, prefix: &str) -> BTreeSet<String> {
    fn walk(root: &Value, v: &Value, at: &str, depth: usize, out: &mut BTreeSet<String>) {
        if depth > 12 {
            return;
        }
        let Some(o) = v.as_object() else { return };
        if let Some(r) = o.get("$ref").and_then(Value::as_str)
            && let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p))
        {
            walk(root, target, at, depth + 1, out);
        }
        if let Some(props) = o.get("properties").and_then(Value::as_object) {
            for (k, child) in props {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.insert(p.clone());
                walk(root, child, &p, depth + 1, out);
            }
        }
        if let Some(items) = o.get("items") {
            walk(root, items, &format!("{at}/0"), depth + 1, out);
        }
        for k in ["allOf", "anyOf", "oneOf"] {
            for branch in o.get(k).and_then(Value::as_array).into_iter().flatten() {
                walk(root, branch, at, depth + 1, out);
            }
        }
        for k in ["then", "else"] {
            if let Some(b) = o.get(k) {
                walk(root, b, at, depth + 1, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(schema, schema, prefix, 0, &mut out);
    out
}

/// The event pointers of a stored payload schema, from the UI's index.
async fn fields_of(s: &AppState, id: i64) -> Result<Arc<BTreeSet<String>>, ApiError> {
    let index = &s.ui.fields;
    if let Some(f) = index
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&id)
    {
        return Ok(f.clone());
    }
    let fields = Arc::new(match s.content(id).await? {
        Some(c) => serde_json::from_str::<Value>(&c.schema)
            .map(|v| event_pointers(&v, "/payload"))
            .unwrap_or_default(),
        None => BTreeSet::new(),
    });
    index
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id, fields.clone());
    Ok(fields)
}

#[derive(Debug, serde::Deserialize)]
pub struct SubjectsQuery {
    #[serde(default)]
    q: String,
}

pub async fn subjects(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<SubjectsQuery>,
) -> Response {
    answer(&viewer, subjects_page(&s, &viewer, &q.q).await)
}

async fn subjects_page(s: &AppState, viewer: &Viewer, q: &str) -> Result<Response, ApiError> {
    let search = Search::parse(q);
    let summaries = s.store.latest_versions().await?;
    let configs: HashMap<String, (String, Option<String>)> = s
        .store
        .configs()
        .await?
        .into_iter()
        .map(|(subject, c, p)| (subject, (c, p)))
        .collect();
    let (global_mode, _) = s.effective_config("").await?;
    let envelope_fields = s
        .envelope
        .as_ref()
        .map(|e| event_pointers(e.document(0), ""))
        .unwrap_or_default();
    // service → entity → rows
    let mut groups: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut shown = 0usize;
    for sum in summaries.iter().filter(|x| viewer.may_see(&x.subject)) {
        let key = sum.subject.parse::<RoutingKey>().ok();
        let hit = match &search {
            Search::All => true,
            Search::Pattern(p) => key.as_ref().is_some_and(|k| p.matches_key(k)),
            Search::Pointer(_) | Search::Name(_) => {
                let by_name = matches!(search, Search::Name(n) if sum.subject.contains(n));
                by_name || {
                    let fields = fields_of(s, sum.id).await?;
                    match search {
                        Search::Pointer(p) => fields.contains(p) || envelope_fields.contains(p),
                        Search::Name(n) => fields.iter().any(|f| f.rsplit('/').next() == Some(n)),
                        _ => false,
                    }
                }
            }
        };
        if !hit {
            continue;
        }
        shown += 1;
        let (service, entity) = match &key {
            Some(k) => {
                let mut w = k.words();
                (
                    w.next().unwrap_or_default().to_owned(),
                    w.next().unwrap_or_default().to_owned(),
                )
            }
            None => ("(shared documents)".to_owned(), String::new()),
        };
        let (compat, policy) = match configs.get(&sum.subject) {
            Some((c, p)) => (c.clone(), p.clone()),
            None => (format!("{} (global)", global_mode.as_str()), None),
        };
        let (queues, consumers) = match (&s.topology, &key) {
            (Some(t), Some(k)) => {
                let routes = t.routes(k);
                let (q, c) = crate::reach(&routes);
                (q.len().to_string(), c.len().to_string())
            }
            _ => ("–".into(), "–".into()),
        };
        let href = subject_href(&sum.subject);
        let row = format!(
            "<tr><td><a href=\"{href}\">{name}</a></td><td><a href=\"{href}/versions/{v}\">v{v}</a></td><td>{n}</td><td>{compat}{policy}</td><td>{queues}</td><td>{consumers}</td></tr>\n",
            name = esc(&sum.subject),
            v = sum.latest,
            n = sum.versions,
            compat = esc(&compat),
            policy = policy
                .map(|p| format!(" · {}", esc(&p)))
                .unwrap_or_default(),
        );
        groups
            .entry(service)
            .or_default()
            .entry(entity)
            .or_default()
            .push_str(&row);
    }
    let mut main = String::with_capacity(shown * 200 + 2000);
    let _ = write!(
        main,
        "<h1>Subjects</h1><form method=\"get\" action=\"/ui/subjects\" class=\"search\" role=\"search\"><input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"name, field (email), pointer (/payload/email) or pattern (auth.*.created)\" aria-label=\"Search subjects\"><button type=\"submit\">Search</button></form><p class=\"hint\">{shown} of {} subjects{}</p>",
        esc(q),
        summaries.len(),
        match &search {
            Search::All => String::new(),
            Search::Pattern(p) => format!(
                " whose routing key the binding pattern <code>{}</code> matches",
                esc(p.as_str())
            ),
            Search::Pointer(p) => format!(" whose events have <code>{}</code>", esc(p)),
            Search::Name(n) => format!(
                " named like, or with a field named, <code>{}</code>",
                esc(n)
            ),
        }
    );
    for (service, entities) in &groups {
        let _ = write!(main, "<section class=\"service\"><h2>{}</h2>", esc(service));
        for (entity, rows) in entities {
            if !entity.is_empty() {
                let _ = write!(main, "<h3>{}</h3>", esc(entity));
            }
            let _ = write!(
                main,
                "<table class=\"subjects\"><thead><tr><th>Routing key</th><th>Latest</th><th>Versions</th><th>Compatibility</th><th>Queues</th><th>Consumers</th></tr></thead><tbody>\n{rows}</tbody></table>"
            );
        }
        main.push_str("</section>");
    }
    if shown == 0 {
        main.push_str("<p class=\"empty\">No subject matches.</p>");
    }
    Ok(page("Subjects", viewer, "/ui/subjects", &main))
}

// ---------------------------------------------------------------- who breaks

/// The queues and consuming services a routing key reaches, and its producer.
fn reach_of(s: &AppState, subject: &str) -> Option<(Option<String>, Vec<String>, Vec<String>)> {
    let config = s.topology.as_ref()?;
    let key: RoutingKey = subject.parse().ok()?;
    let routes = config.routes(&key);
    let (queues, consumers) = crate::reach(&routes);
    Some((
        config.producer_of(&key).map(str::to_owned),
        queues.into_iter().map(str::to_owned).collect(),
        consumers.into_iter().map(str::to_owned).collect(),
    ))
}

fn list_links(items: &[String], href: impl Fn(&str) -> String) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(|i| format!("<a href=\"{}\">{}</a>", href(i), esc(i)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn who_breaks(s: &AppState, subject: &str, direction: Direction) -> String {
    let Some((producer, queues, consumers)) = reach_of(s, subject) else {
        return "<p class=\"who-breaks\">No topology is configured for this subject: who reads it is unknown.</p>".into();
    };
    let topo = |q: &str| {
        format!(
            "/ui/topology?key={}&amp;queue={}",
            query_value(subject),
            query_value(q)
        )
    };
    let svc = |c: &str| {
        format!(
            "/ui/topology?key={}&amp;service={}",
            query_value(subject),
            query_value(c)
        )
    };
    let when = match direction {
        Direction::Forward => format!(
            "when {} publishes the new version while these consumers still read the old one",
            producer
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "the producer".into())
        ),
        Direction::Backward => {
            "when these consumers move to the new version while old events are still queued".into()
        }
    };
    format!(
        "<p class=\"who-breaks\"><strong>Who breaks</strong> ({when}): consuming services {}; queues {}.</p>",
        list_links(&consumers, svc),
        list_links(&queues, topo)
    )
}

/// One schema a report compares: its version (0 for a candidate) and its set.
struct Side<'a> {
    version: i64,
    set: &'a SchemaSet,
}

/// A side's pretty-printed lines and its validator, made once however many changes use them.
struct Prepared<'a> {
    side: &'a Side<'a>,
    lines: Vec<super::html::JsonLine>,
    validator: std::cell::OnceCell<Result<Validator, String>>,
}

impl<'a> Prepared<'a> {
    fn new(side: &'a Side<'a>) -> Prepared<'a> {
        Prepared {
            side,
            lines: schema_lines(side.set),
            validator: std::cell::OnceCell::new(),
        }
    }

    /// The validator's first errors for an instance, as list items.
    fn refusal(&self, instance: &Value) -> String {
        let v = self
            .validator
            .get_or_init(|| Validator::new(self.side.set).map_err(|e| e.to_string()));
        match v {
            Ok(v) => v
                .issues(instance)
                .into_iter()
                .take(3)
                .map(|i| {
                    let at = if i.instance_path.is_empty() {
                        "/"
                    } else {
                        &i.instance_path
                    };
                    format!("<li><code>{}</code> {}</li>", esc(at), esc(&i.message))
                })
                .collect(),
            Err(e) => format!("<li>{}</li>", esc(e)),
        }
    }
}

/// The changes of a report, each with its pointers linked to the diff's
/// lines (`o-N` old, `n-N` new) when `link_lines`, its witness, the
/// validator's error for it, and who breaks. A change is against the
/// earlier side its `against_version` names, else the last.
fn changes_html(
    s: &AppState,
    subject: &str,
    report: &Report,
    earlier: &[Side],
    new: &Side,
    link_lines: bool,
) -> String {
    let mut out = String::new();
    if report.changes.is_empty() {
        let why = if report.reasons.is_empty() {
            String::new()
        } else {
            format!(
                "<ul>{}</ul>",
                report
                    .reasons
                    .iter()
                    .map(|r| format!("<li>{}</li>", esc(r)))
                    .collect::<String>()
            )
        };
        let said = match report.verdict {
            Verdict::Compatible => "no breaking change",
            _ => "the checker could not decide",
        };
        let _ = write!(
            out,
            "<p>{} under {} / {}: {said}.</p>{why}",
            verdict_badge(report.verdict),
            report.mode,
            report.policy
        );
        return out;
    }
    let _ = write!(
        out,
        "<p>{} under {} / {}: {} breaking change(s).</p><ol class=\"changes\">",
        verdict_badge(report.verdict),
        report.mode,
        report.policy,
        report.changes.len()
    );
    let new = Prepared::new(new);
    let earlier: Vec<Prepared> = earlier.iter().map(Prepared::new).collect();
    let pointer_link =
        |p: &Option<String>, lines: &[super::html::JsonLine], side: &str| -> String {
            let Some(p) = p else { return String::new() };
            let shown = esc(p);
            let side_name = if side == "o" { "old" } else { "new" };
            match (link_lines, line_of(lines, p)) {
                (true, Some(n)) => format!(
                    " <a class=\"ptr\" href=\"#{side}-{}\">{side_name} {shown}</a>",
                    n + 1
                ),
                _ => format!(" {side_name} <code>{shown}</code>"),
            }
        };
    for (i, c) in report.changes.iter().enumerate() {
        let against = c.against_version.map(i64::from);
        let Some(old) = against
            .and_then(|v| earlier.iter().find(|e| e.side.version == v))
            .or(earlier.last())
        else {
            continue;
        };
        // The witness is valid for the writer and refused by the reader: show the reader's error.
        let (reader, reader_name) = match c.direction {
            Direction::Backward => (&new, "the new schema"),
            Direction::Forward => (old, "the old schema"),
        };
        let _ = write!(
            out,
            "<li class=\"change\" id=\"change-{n}\"><p><span class=\"kind\">{kind}</span> <span class=\"dir\">{dir:?}</span>{against} at <code>{path}</code>{o}{nl}</p><p>{msg}</p><details open><summary>Witness event</summary>{witness}<p>Refused by {reader_name}:</p><ul class=\"issues\">{error}</ul></details>{who}</li>",
            n = i + 1,
            kind = esc(&c.kind),
            dir = c.direction,
            against = against
                .map(|v| format!(" (against v{v})"))
                .unwrap_or_default(),
            path = esc(if c.path.is_empty() { "/" } else { &c.path }),
            o = pointer_link(&c.old_pointer, &old.lines, "o"),
            nl = pointer_link(&c.new_pointer, &new.lines, "n"),
            msg = esc(&c.message),
            witness = match c.witness.exact_text() {
                // Integers past 64 bits: the text, since the value holds only their f64.
                Some(text) => format!("<pre class=\"json\">{}</pre>", esc(text)),
                None => json_block(&c.witness, &format!("w{}", i + 1)),
            },
            error = match reader.refusal(&c.witness) {
                e if e.is_empty() && c.witness.exact_text().is_some() => {
                    "<li>only by comparing its integers digit by digit: the validator reads them as f64s</li>".to_owned()
                }
                e => e,
            },
            who = who_breaks(s, subject, c.direction),
        );
    }
    out.push_str("</ol>");
    out
}

// ---------------------------------------------------------------- subject

fn config_note(mode: Mode, policy: Policy, own: bool) -> String {
    format!(
        "{} / {}{}",
        mode,
        policy,
        if own { "" } else { " (global)" }
    )
}

pub async fn subject(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path(subject): Path<String>,
) -> Response {
    answer(&viewer, subject_page(&s, &viewer, &subject).await)
}

fn reach_html(s: &AppState, subject: &str) -> String {
    match reach_of(s, subject) {
        None => String::new(),
        Some((producer, queues, consumers)) => format!(
            "<p class=\"reach\">Produced by {}; reaches queues {}; consumed by {}. <a href=\"/ui/topology?key={}\">Show the route</a></p>",
            producer
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "no declared service".into()),
            list_links(&queues, |q| format!(
                "/ui/topology?queue={}",
                query_value(q)
            )),
            list_links(&consumers, |c| format!(
                "/ui/topology?service={}",
                query_value(c)
            )),
            query_value(subject)
        ),
    }
}

async fn subject_page(s: &AppState, viewer: &Viewer, subject: &str) -> Result<Response, ApiError> {
    visible(viewer, subject)?;
    let versions = load_versions(s, subject).await?;
    let (mode, policy) = s.effective_config(subject).await?;
    let own = s.store.config(subject).await?.is_some();
    let href = subject_href(subject);
    let mut main = format!(
        "<h1>{}</h1><p>Compatibility {} · mode {} · <a href=\"{href}/check\">Check a candidate</a>{}</p>{}",
        esc(subject),
        config_note(mode, policy, own),
        esc(&s.effective_mode(subject).await?),
        if versions.len() > 1 {
            format!(" · <a href=\"{href}/diff\">Diff previous..latest</a>")
        } else {
            String::new()
        },
        reach_html(s, subject)
    );
    main.push_str("<h2>Versions</h2><ol class=\"timeline\">");
    for (i, v) in versions.iter().enumerate() {
        let step = match i.checked_sub(1).map(|p| &versions[p]) {
            None => "first version".to_owned(),
            Some(prev) => {
                let verdict = evreg_core::check(&prev.set, &v.set, pairwise(mode), policy)
                    .map(|r| (verdict_badge(r.verdict), r.changes.len()))
                    .map_err(|e| ApiError::Internal(e.to_string()))?;
                format!(
                    "{} from v{} under {} ({} breaking change(s)) · <a href=\"{href}/diff/{}..{}\">diff</a>",
                    verdict.0,
                    prev.id.version,
                    pairwise(mode),
                    verdict.1,
                    prev.id.version,
                    v.id.version
                )
            }
        };
        let _ = write!(
            main,
            "<li><a href=\"{href}/versions/{n}\">v{n}</a> <span class=\"id\">id {id}</span> · {step}</li>",
            n = v.id.version,
            id = v.id.id
        );
    }
    main.push_str("</ol>");
    let latest = versions.last().expect("non-empty");
    let _ = write!(
        main,
        "<h2>Latest schema (v{n}) <a class=\"permalink\" href=\"{href}/versions/{n}\">permalink</a></h2><p class=\"hint\">Hover a line for its JSON pointer; click to copy it.</p>{}",
        schema_block(&latest.set, "s"),
        n = latest.id.version
    );
    Ok(page(subject, viewer, "/ui/subjects", &main))
}

pub async fn version(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path((subject, version)): Path<(String, String)>,
) -> Response {
    let r = async {
        visible(&viewer, &subject)?;
        let versions = load_versions(&s, &subject).await?;
        let v = pick(&versions, &version)?;
        let href = subject_href(&subject);
        let n = v.id.version;
        let prev = versions.iter().rev().find(|x| x.id.version < n);
        let next = versions.iter().find(|x| x.id.version > n);
        let refs: String = v
            .content
            .references
            .iter()
            .map(|r| {
                format!(
                    "<li><code>{}</code> → <a href=\"{}/versions/{}\">{} v{}</a></li>",
                    esc(&r.name),
                    subject_href(&r.subject),
                    r.version,
                    esc(&r.subject),
                    r.version
                )
            })
            .collect();
        let main = format!(
            "<h1><a href=\"{href}\">{name}</a> v{n}</h1><p>Schema id {id} · <a class=\"permalink\" href=\"{href}/versions/{n}\">permalink</a>{p}{x}</p>{refs}{block}",
            name = esc(&subject),
            id = v.id.id,
            p = prev
                .map(|p| format!(" · <a href=\"{href}/diff/{0}..{n}\">diff from v{0}</a>", p.id.version))
                .unwrap_or_default(),
            x = next
                .map(|x| format!(" · <a href=\"{href}/diff/{n}..{0}\">diff to v{0}</a>", x.id.version))
                .unwrap_or_default(),
            refs = if refs.is_empty() {
                String::new()
            } else {
                format!("<h2>References</h2><ul>{refs}</ul>")
            },
            block = schema_block(&v.set, "s"),
        );
        Ok::<_, ApiError>(page(&format!("{subject} v{n}"), &viewer, "/ui/subjects", &main))
    }
    .await;
    answer(&viewer, r)
}

// ---------------------------------------------------------------- diff

pub async fn diff_default(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path(subject): Path<String>,
) -> Response {
    let r = async {
        visible(&viewer, &subject)?;
        let v = s.versions(&subject).await?;
        let latest = v
            .last()
            .ok_or_else(|| ApiError::SubjectNotFound(subject.clone()))?;
        // previous..latest, or latest..latest for a single version.
        let previous = v.len().checked_sub(2).map_or(latest, |i| &v[i]);
        Ok(redirect(&format!(
            "{}/diff/{}..{}",
            subject_href(&subject),
            previous.version,
            latest.version
        )))
    }
    .await;
    answer(&viewer, r)
}

#[derive(Debug, serde::Deserialize)]
pub struct DiffQuery {
    mode: Option<String>,
    policy: Option<String>,
}

fn options<T: Copy + std::fmt::Display + PartialEq>(all: &[T], chosen: T) -> String {
    all.iter()
        .map(|m| {
            format!(
                "<option{}>{m}</option>",
                if *m == chosen { " selected" } else { "" }
            )
        })
        .collect()
}

pub async fn diff(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path((subject, range)): Path<(String, String)>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let r = async {
        visible(&viewer, &subject)?;
        let Some((a, b)) = range.split_once("..") else {
            return Err(ApiError::BadRequest(format!(
                "{range:?}: expected A..B, two versions (numbers or latest)"
            )));
        };
        let versions = load_versions(&s, &subject).await?;
        let (old, new) = (pick(&versions, a)?, pick(&versions, b)?);
        let (mut mode, mut policy) = s.effective_config(&subject).await?;
        mode = pairwise(mode);
        if let Some(m) = q.mode.as_deref().filter(|m| !m.is_empty()) {
            mode = m.parse().map_err(ApiError::BadRequest)?;
        }
        if let Some(p) = q.policy.as_deref().filter(|p| !p.is_empty()) {
            policy = p.parse().map_err(ApiError::BadRequest)?;
        }
        let report = evreg_core::check(&old.set, &new.set, mode, policy)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let (ol, nl) = (schema_lines(&old.set), schema_lines(&new.set));
        let rows = diff_lines(
            &ol.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            &nl.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
        );
        let mut table = String::from("<table class=\"diff\"><colgroup><col class=\"num\"><col><col class=\"num\"><col></colgroup><thead><tr><th colspan=\"2\">old</th><th colspan=\"2\">new</th></tr></thead><tbody>\n");
        let cell = |side: &str, i: usize, lines: &[super::html::JsonLine], class: &str| {
            format!(
                "<td class=\"num\">{n}</td><td class=\"{class}\" id=\"{side}-{n}\" data-pointer=\"{p}\"><code>{t}</code></td>",
                n = i + 1,
                p = esc(&lines[i].pointer),
                t = esc(&lines[i].text)
            )
        };
        for pair in side_by_side(&rows) {
            let line = match pair {
                (Some(i), Some(j)) if ol[i].text == nl[j].text => {
                    format!("{}{}", cell("o", i, &ol, ""), cell("n", j, &nl, ""))
                }
                (Some(i), Some(j)) => format!("{}{}", cell("o", i, &ol, "del"), cell("n", j, &nl, "add")),
                (Some(i), None) => format!("{}<td></td><td class=\"gap\"></td>", cell("o", i, &ol, "del")),
                (None, Some(j)) => format!("<td></td><td class=\"gap\"></td>{}", cell("n", j, &nl, "add")),
                (None, None) => continue,
            };
            let _ = writeln!(table, "<tr>{line}</tr>");
        }
        table.push_str("</tbody></table>");
        let earlier = [Side {
            version: old.id.version,
            set: &old.set,
        }];
        let new_side = Side {
            version: new.id.version,
            set: &new.set,
        };
        let changes = changes_html(&s, &subject, &report, &earlier, &new_side, true);
        let href = subject_href(&subject);
        let main = format!(
            "<h1><a href=\"{href}\">{name}</a>: v{a} → v{b}</h1><form method=\"get\" class=\"inline\">Under <select name=\"mode\" aria-label=\"mode\">{modes}</select> <select name=\"policy\" aria-label=\"policy\">{policies}</select> <button type=\"submit\">Re-check</button></form><h2>Changes</h2>{changes}<h2>Side by side</h2>{table}",
            name = esc(&subject),
            a = old.id.version,
            b = new.id.version,
            modes = options(&Mode::ALL, mode),
            policies = options(&[Policy::Lenient, Policy::Strict], policy),
        );
        Ok(page(&format!("{subject} v{a}..v{b}", a = old.id.version, b = new.id.version), &viewer, "/ui/subjects", &main))
    }
    .await;
    answer(&viewer, r)
}

// ---------------------------------------------------------------- check

fn check_form_html(
    viewer: &Viewer,
    subject: &str,
    text: &str,
    mode: Mode,
    policy: Policy,
    can_register: bool,
) -> String {
    let register = if can_register {
        "<button type=\"submit\" name=\"action\" value=\"register\" class=\"write\">Register as a new version</button>"
    } else {
        ""
    };
    format!(
        "<form method=\"post\" action=\"{href}/check\" class=\"stack\">{csrf}<label>Candidate schema<textarea name=\"schema\" rows=\"18\" spellcheck=\"false\" required>{text}</textarea></label><div class=\"row\">Under <select name=\"mode\" aria-label=\"mode\">{modes}</select> <select name=\"policy\" aria-label=\"policy\">{policies}</select> <button type=\"submit\" name=\"action\" value=\"check\">Check (dry run)</button> {register}</div></form>",
        href = subject_href(subject),
        csrf = viewer.csrf_field(),
        text = esc(text),
        modes = options(&Mode::ALL, mode),
        policies = options(&[Policy::Lenient, Policy::Strict], policy),
    )
}

/// Whether this viewer may register under `subject` now (role, token prefix, mode).
async fn can_register(s: &AppState, viewer: &Viewer, subject: &str) -> Result<bool, ApiError> {
    Ok(viewer.may(Role::Writer)
        && viewer.may_see(subject)
        && s.effective_mode(subject).await? == "READWRITE")
}

pub async fn check_form(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path(subject): Path<String>,
) -> Response {
    let r = async {
        visible(&viewer, &subject)?;
        let versions = s.versions(&subject).await?;
        let text = match versions.last() {
            Some(v) => {
                let c = s.content(v.id).await?.ok_or(ApiError::SchemaNotFound(v.id as u64))?;
                serde_json::from_str::<Value>(&c.schema)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or_else(|_| c.schema.to_string())
            }
            None => "{\n  \"type\": \"object\"\n}".to_owned(),
        };
        let (mode, policy) = s.effective_config(&subject).await?;
        let main = format!(
            "<h1>Check a candidate for <a href=\"{}\">{}</a></h1><p class=\"hint\">A dry run under the subject's settings (change them below for this check only). Nothing is stored unless you register.</p>{}",
            subject_href(&subject),
            esc(&subject),
            check_form_html(&viewer, &subject, &text, mode, policy, can_register(&s, &viewer, &subject).await?)
        );
        Ok::<_, ApiError>(page(&format!("Check {subject}"), &viewer, "/ui/subjects", &main))
    }
    .await;
    answer(&viewer, r)
}

pub async fn check(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Path(subject): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let f = match form(&viewer, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let r = async {
        visible(&viewer, &subject)?;
        let text = f.get("schema").cloned().unwrap_or_default();
        let (mut mode, mut policy) = s.effective_config(&subject).await?;
        if let Some(m) = f.get("mode").filter(|m| !m.is_empty()) {
            mode = m.parse().map_err(ApiError::BadRequest)?;
        }
        if let Some(p) = f.get("policy").filter(|p| !p.is_empty()) {
            policy = p.parse().map_err(ApiError::BadRequest)?;
        }
        let may_register = can_register(&s, &viewer, &subject).await?;
        let form_html = check_form_html(&viewer, &subject, &text, mode, policy, may_register);
        let title = format!("Check {subject}");
        let head = format!(
            "<h1>Check a candidate for <a href=\"{}\">{}</a></h1>",
            subject_href(&subject),
            esc(&subject)
        );
        let candidate = match s.candidate(&subject, &text, Vec::new()).await {
            Ok(c) => c,
            Err(e) => {
                let main = format!("{head}<p class=\"error\" role=\"alert\">The candidate is not a usable schema: {}</p>{form_html}", esc(&e.to_string()));
                return Ok(super::page_with(StatusCode::UNPROCESSABLE_ENTITY, &title, &viewer, "/ui/subjects", &main));
            }
        };
        if f.get("action").map(String::as_str) == Some("register") {
            if !may_register {
                return Ok(error_page(
                    &viewer,
                    StatusCode::FORBIDDEN,
                    "Cannot register",
                    "this session may not register under this subject (a reader token, another subject prefix, or READONLY mode)",
                ));
            }
            return match s.register(&subject, candidate, None).await {
                Ok(r) => Ok(redirect(&format!("{}/versions/{}", subject_href(&subject), r.version))),
                Err(e) => {
                    let main = format!("{head}<p class=\"error\" role=\"alert\">Not registered: {}</p>{form_html}", esc(&e.to_string()));
                    Ok(super::page_with(StatusCode::CONFLICT, &title, &viewer, "/ui/subjects", &main))
                }
            };
        }
        let versions = match load_versions(&s, &subject).await {
            Ok(v) => v,
            Err(ApiError::SubjectNotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut sets: Vec<SchemaSet> = versions.iter().map(|v| v.set.clone()).collect();
        sets.push(candidate.set.clone());
        let report = check_versions(&sets, mode, policy).map_err(|e| ApiError::InvalidSchema(e.to_string()))?;
        let earlier: Vec<Side> = versions
            .iter()
            .map(|v| Side {
                version: v.id.version,
                set: &v.set,
            })
            .collect();
        let new_side = Side {
            version: 0,
            set: &candidate.set,
        };
        let changes = changes_html(&s, &subject, &report, &earlier, &new_side, false);
        let main = format!("{head}<h2>Result</h2>{changes}{form_html}");
        Ok::<_, ApiError>(page(&title, &viewer, "/ui/subjects", &main))
    }
    .await;
    answer(&viewer, r)
}

// ---------------------------------------------------------------- validate

fn validate_form_html(viewer: &Viewer, text: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/ui/validate\" class=\"stack\">{}<label>Event (envelope and payload)<textarea name=\"event\" rows=\"16\" spellcheck=\"false\" required placeholder='{{\"event_type\": \"auth.user.created\", \"event_version\": \"v1\", \"payload\": {{}}}}'>{}</textarea></label><div class=\"row\"><button type=\"submit\">Validate</button></div></form>",
        viewer.csrf_field(),
        esc(text)
    )
}

pub async fn validate_form(Extension(viewer): Extension<Viewer>) -> Response {
    page(
        "Validate",
        &viewer,
        "/ui/validate",
        &format!(
            "<h1>Validate an event</h1><p class=\"hint\">Checked by the server with the same validator as <code>POST /validate</code>.</p>{}",
            validate_form_html(&viewer, "")
        ),
    )
}

pub async fn validate(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Response {
    let f = match form(&viewer, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let text = f.get("event").cloned().unwrap_or_default();
    let r = async {
        let mut main = String::from("<h1>Validate an event</h1>");
        let message: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                let _ = write!(main, "<p class=\"error\" role=\"alert\">Not JSON: line {}, column {}: {}</p>", e.line(), e.column(), esc(&e.to_string()));
                main.push_str(&validate_form_html(&viewer, &text));
                return Ok(super::page_with(StatusCode::UNPROCESSABLE_ENTITY, "Validate", &viewer, "/ui/validate", &main));
            }
        };
        let (subject, version) = match crate::extras::addressed(&message) {
            Ok(a) => a,
            Err(issues) => {
                let _ = write!(main, "<div class=\"result invalid\" role=\"alert\"><p>{}</p><ul class=\"issues\">{}</ul></div>", verdict_word(false), issues_html(&issues));
                main.push_str(&validate_form_html(&viewer, &text));
                return Ok(page("Validate", &viewer, "/ui/validate", &main));
            }
        };
        if !viewer.may_see(&subject) {
            return Err(ApiError::Forbidden(format!("this token may not read subject {subject:?}")));
        }
        let issues = match s.validator(&subject, version).await? {
            Err(u) => u.issues(),
            Ok(c) => c.issues(&message),
        };
        let valid = issues.is_empty();
        let _ = write!(
            main,
            "<div class=\"result {cls}\" role=\"{role}\"><p>{word}: <a href=\"{href}/versions/{version}\">{name} v{version}</a></p><ul class=\"issues\">{list}</ul></div>",
            cls = if valid { "valid" } else { "invalid" },
            role = if valid { "status" } else { "alert" },
            word = verdict_word(valid),
            href = subject_href(&subject),
            name = esc(&subject),
            list = issues_html(&issues),
        );
        // Which versions of the routing key accept the same event, relabelled.
        let mut accepted = Vec::new();
        for v in s.versions(&subject).await?.iter() {
            let mut m = message.clone();
            m["event_version"] = Value::String(format!("v{}", v.version));
            if let Ok(c) = s.validator(&subject, v.version).await?
                && c.issues(&m).is_empty()
            {
                accepted.push(format!("<a href=\"{}/versions/{1}\">v{1}</a>", subject_href(&subject), v.version));
            }
        }
        let _ = write!(
            main,
            "<p class=\"accepts\">Versions of {} that accept this payload: {}</p>",
            esc(&subject),
            if accepted.is_empty() { "none".to_owned() } else { accepted.join(", ") }
        );
        s.metrics.validations(u64::from(valid), u64::from(!valid));
        main.push_str(&validate_form_html(&viewer, &text));
        Ok::<_, ApiError>(page("Validate", &viewer, "/ui/validate", &main))
    }
    .await;
    answer(&viewer, r)
}

fn verdict_word(valid: bool) -> &'static str {
    if valid { "Valid" } else { "Invalid" }
}

fn issues_html(issues: &[evreg_api::ValidationError]) -> String {
    issues
        .iter()
        .map(|i| {
            let at = i.instance_path.as_str();
            format!(
                "<li><code class=\"ptr\">{}</code> {}</li>",
                esc(if at.is_empty() { "/" } else { at }),
                esc(&i.message)
            )
        })
        .collect()
}

// ---------------------------------------------------------------- settings

pub async fn settings(State(s): State<Shared>, Extension(viewer): Extension<Viewer>) -> Response {
    answer(&viewer, settings_page(&s, &viewer, None).await)
}

async fn settings_page(
    s: &AppState,
    viewer: &Viewer,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let (mode, policy) = s.effective_config("").await?;
    let global_mode = s.effective_mode("").await?;
    let mut main = String::from("<h1>Settings</h1>");
    if let Some(n) = notice {
        let _ = write!(main, "<p class=\"notice\" role=\"status\">{}</p>", esc(n));
    }
    let _ = write!(
        main,
        "<h2>Global</h2><dl><dt>Compatibility</dt><dd>{mode}</dd><dt>Policy</dt><dd>{policy}</dd><dt>Mode</dt><dd>{}</dd></dl>",
        esc(&global_mode)
    );
    let configs = s.store.configs().await?;
    let modes = s.store.modes().await?;
    let mut per: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (subject, c, p) in configs.into_iter().filter(|(x, _, _)| !x.is_empty()) {
        per.entry(subject).or_default().0 =
            format!("{c}{}", p.map(|p| format!(" / {p}")).unwrap_or_default());
    }
    for (subject, m) in modes.into_iter().filter(|(x, _)| !x.is_empty()) {
        per.entry(subject).or_default().1 = m;
    }
    main.push_str("<h2>Per subject</h2>");
    if per.is_empty() {
        main.push_str("<p class=\"empty\">No subject overrides the global settings.</p>");
    } else {
        main.push_str("<table><thead><tr><th>Subject</th><th>Compatibility</th><th>Mode</th></tr></thead><tbody>");
        for (subject, (c, m)) in per.iter().filter(|(x, _)| viewer.may_see(x)) {
            let _ = write!(
                main,
                "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                subject_href(subject),
                esc(subject),
                esc(c),
                esc(m)
            );
        }
        main.push_str("</tbody></table>");
    }
    if viewer.may_change_settings() {
        let _ = write!(
            main,
            "<h2>Change</h2><form method=\"post\" action=\"/ui/settings\" class=\"stack\">{}<label>Subject (empty for the global setting)<input name=\"subject\" placeholder=\"auth.user.created\"></label><label>Compatibility<select name=\"compatibility\"><option value=\"\">(unchanged)</option>{}</select></label><label>Policy<select name=\"policy\"><option value=\"\">(unchanged)</option><option>LENIENT</option><option>STRICT</option></select></label><label>Mode<select name=\"mode\"><option value=\"\">(unchanged)</option><option>READWRITE</option><option>READONLY</option></select></label><div class=\"row\"><button type=\"submit\" class=\"write\">Save</button></div></form>",
            viewer.csrf_field(),
            Mode::ALL
                .iter()
                .map(|m| format!("<option>{m}</option>"))
                .collect::<String>()
        );
    } else {
        main.push_str("<p class=\"hint\">Changing settings needs an unlimited admin token.</p>");
    }
    Ok(page("Settings", viewer, "/ui/settings", &main))
}

pub async fn save_settings(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    body: axum::body::Bytes,
) -> Response {
    let f = match form(&viewer, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // The route asks for an admin session; a prefix-limited admin is refused here.
    if !viewer.may_change_settings() {
        return error_page(
            &viewer,
            StatusCode::FORBIDDEN,
            "Cannot change settings",
            "changing settings needs an unlimited admin token",
        );
    }
    let r = async {
        let subject = f
            .get("subject")
            .map(|x| x.trim().to_owned())
            .unwrap_or_default();
        let field = |k: &str| f.get(k).filter(|v| !v.is_empty()).cloned();
        let mut done = Vec::new();
        if let Some(c) = field("compatibility") {
            let mode: Mode = c.parse().map_err(ApiError::InvalidCompatibility)?;
            let policy: Option<Policy> = field("policy")
                .map(|p| p.parse())
                .transpose()
                .map_err(ApiError::InvalidCompatibility)?;
            s.store
                .set_config(&subject, mode.as_str(), policy.map(Policy::as_str))
                .await?;
            done.push(format!(
                "compatibility {mode}{}",
                policy.map(|p| format!(" / {p}")).unwrap_or_default()
            ));
        } else if field("policy").is_some() {
            return Err(ApiError::InvalidCompatibility(
                "choose a compatibility with the policy".into(),
            ));
        }
        if let Some(m) = field("mode") {
            if m != "READWRITE" && m != "READONLY" {
                return Err(ApiError::InvalidMode(m));
            }
            s.store.set_mode(&subject, &m).await?;
            done.push(format!("mode {m}"));
        }
        let scope = if subject.is_empty() {
            "global".to_owned()
        } else {
            subject.clone()
        };
        let notice = if done.is_empty() {
            "Nothing to change.".to_owned()
        } else {
            format!("Saved for {scope}: {}.", done.join(", "))
        };
        settings_page(&s, &viewer, Some(&notice)).await
    }
    .await;
    answer(&viewer, r)
}
