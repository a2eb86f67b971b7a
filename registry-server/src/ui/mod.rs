//! The web UI at `/ui`: server-rendered HTML pages over the registry's own state, signed in with the API's tokens through a session cookie.
//!
//! Every screen is a plain HTML page with forms; `ui.js` only enhances
//! (copy buttons, highlighting). Assets are compiled into the binary. A
//! browser signs in once with a token and holds an HttpOnly,
//! SameSite=Strict cookie; every form carries the session's CSRF token, and
//! the server checks role and mode on every write whatever the page showed.

mod html;
pub(crate) mod pages;
pub(crate) mod topology;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use crate::Shared;
use crate::auth::{Grant, Role};

pub use html::esc;

/// The session cookie's name.
const COOKIE: &str = "evreg_session";
/// How long a session lasts without being used.
const IDLE: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; the oldest go first.
const MAX_SESSIONS: usize = 10_000;

/// Who is looking: the role and token limits every page and write obeys.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub role: Role,
    /// The token signed in with; `None` for anonymous access or open reads.
    pub grant: Option<Grant>,
    /// The session's CSRF token, echoed by every form.
    pub csrf: String,
    /// Whether this server asks for tokens at all (to show sign-in and sign-out).
    pub tokens: bool,
    /// A session made only to carry the sign-in form's CSRF token: it opens no other page.
    pub signing_in: bool,
}

impl Viewer {
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }

    /// Settings are global or any subject's: an admin token limited to
    /// subject prefixes may not change them (as the API's `/config`).
    pub fn may_change_settings(&self) -> bool {
        self.may(Role::Admin) && self.grant.as_ref().is_none_or(|g| g.0.subjects.is_empty())
    }

    pub fn may_see(&self, subject: &str) -> bool {
        crate::auth::may_see(self.grant.as_ref(), subject)
    }

    /// A hidden CSRF field for a form.
    pub fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            esc(&self.csrf)
        )
    }
}

#[derive(Debug)]
struct Session {
    viewer: Viewer,
    used: Instant,
}

/// Live sessions by id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: RwLock<HashMap<String, Session>>,
}

/// What the UI keeps between requests.
#[derive(Debug, Default)]
pub struct UiState {
    pub sessions: Sessions,
    /// The event pointers each stored content declares, for field search:
    /// content never changes, so each id is worked out once.
    pub(super) fields: RwLock<HashMap<i64, std::sync::Arc<std::collections::BTreeSet<String>>>>,
}

/// 128 random bits as hex, from the kernel (`/dev/urandom`); should it be
/// unreadable, from the standard library's per-process random hasher keys.
fn random_token() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in bytes.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    fn get(&self, id: &str) -> Option<Viewer> {
        let mut map = self
            .by_id
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let s = map.get_mut(id)?;
        if s.used.elapsed() > IDLE {
            map.remove(id);
            return None;
        }
        s.used = Instant::now();
        Some(s.viewer.clone())
    }

    /// A new session for `viewer` (its CSRF token made here); the cookie value.
    fn start(&self, mut viewer: Viewer) -> (String, Viewer) {
        let id = random_token();
        viewer.csrf = random_token();
        let mut map = self
            .by_id
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.used.elapsed() <= IDLE);
            if map.len() >= MAX_SESSIONS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.used)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(
            id.clone(),
            Session {
                viewer: viewer.clone(),
                used: Instant::now(),
            },
        );
        (id, viewer)
    }

    fn end(&self, id: &str) {
        self.by_id
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }
}

fn cookie_of(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(r: &mut Response, id: &str) {
    let value = format!("{COOKIE}={id}; Path=/ui; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Finds the request's session, or starts one where no sign-in is needed
/// (anonymous servers: full access, as the API gives; open reads: reader);
/// otherwise sends the browser to the sign-in page.
async fn session(State(s): State<Shared>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/ui/assets/") {
        return next.run(req).await;
    }
    let found = cookie_of(&req).and_then(|id| s.ui.sessions.get(&id));
    let (viewer, new_cookie) = match found {
        Some(v) if !v.signing_in || path == "/ui/login" => (v, None),
        _ => {
            // No usable session: full access on an anonymous server (as the
            // API gives), reading with open reads, else only the sign-in
            // form, whose session carries its CSRF token and opens nothing else.
            let (role, signing_in) = match (&s.tokens, s.open_reads) {
                (None, _) => (Role::Admin, false),
                (Some(_), true) => (Role::Reader, false),
                (Some(_), false) if path == "/ui/login" => (Role::Reader, true),
                (Some(_), false) => {
                    let target = req
                        .uri()
                        .path_and_query()
                        .map_or("/ui".to_owned(), |p| p.as_str().to_owned());
                    return redirect(&format!("/ui/login?next={}", html::query_value(&target)));
                }
            };
            let (id, v) = s.ui.sessions.start(Viewer {
                role,
                grant: None,
                csrf: String::new(),
                tokens: s.tokens.is_some(),
                signing_in,
            });
            (v, Some(id))
        }
    };
    req.extensions_mut().insert(viewer);
    let mut r = next.run(req).await;
    if let Some(id) = new_cookie {
        set_cookie(&mut r, &id);
    }
    r
}

/// A 303 to `to` (after a form, so a reload does not post again).
pub fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// An HTML page with the headers every page has: no caching of what a
/// token showed, no framing, scripts and styles only from this server.
pub fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// The navigation entries: (path, label).
const NAV: [(&str, &str); 4] = [
    ("/ui/subjects", "Subjects"),
    ("/ui/validate", "Validate"),
    ("/ui/topology", "Topology"),
    ("/ui/settings", "Settings"),
];

/// A whole page: header, navigation (with `active` marked), who is signed in, and `main`.
pub fn page(title: &str, viewer: &Viewer, active: &str, main: &str) -> Response {
    page_with(StatusCode::OK, title, viewer, active, main)
}

pub fn page_with(
    status: StatusCode,
    title: &str,
    viewer: &Viewer,
    active: &str,
    main: &str,
) -> Response {
    let nav: String = NAV
        .iter()
        .map(|(href, label)| {
            let current = if *href == active {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<a href=\"{href}\"{current}>{label}</a>")
        })
        .collect();
    let who = match (&viewer.grant, viewer.tokens && !viewer.signing_in) {
        (Some(g), _) => format!(
            "<form method=\"post\" action=\"/ui/logout\" class=\"who\">{}<span>{} · {:?}</span> <button type=\"submit\">Sign out</button></form>",
            viewer.csrf_field(),
            esc(&g.0.name),
            viewer.role
        ),
        (None, true) => format!(
            "<span class=\"who\">{:?} (no token) · <a href=\"/ui/login\">Sign in</a></span>",
            viewer.role
        ),
        (None, false) if viewer.tokens => String::new(),
        (None, false) => "<span class=\"who\">anonymous (loopback)</span>".to_owned(),
    };
    html_response(
        status,
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · evreg</title><link rel=\"stylesheet\" href=\"/ui/assets/ui.css?v={v}\"><script src=\"/ui/assets/ui.js?v={v}\" defer></script></head>\n<body><header><a class=\"brand\" href=\"/ui\">evreg</a><nav>{nav}</nav>{who}</header>\n<main>\n{main}\n</main></body></html>\n",
            t = esc(title),
            v = ASSETS_VERSION.as_str()
        ),
    )
}

/// An error page: what went wrong, in the page's frame.
pub fn error_page(viewer: &Viewer, status: StatusCode, title: &str, message: &str) -> Response {
    page_with(
        status,
        title,
        viewer,
        "",
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p>",
            esc(title),
            esc(message)
        ),
    )
}

const CSS: &str = include_str!("ui.css");
const JS: &str = include_str!("ui.js");

/// The assets' content hash, in their URLs: a browser caches them for good
/// and a new build's are new URLs.
static ASSETS_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::store::sha256_hex(format!("{CSS}{JS}").as_bytes())[..12].to_owned()
});

pub async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "ui.css" => (CSS, "text/css; charset=utf-8"),
        "ui.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    r
}

/// The form body of a POST, as key/value pairs; a missing or wrong CSRF token is refused.
// The error is the page to answer with at once; it is built only on that path.
#[allow(clippy::result_large_err)]
pub fn form(viewer: &Viewer, body: &[u8]) -> Result<HashMap<String, String>, Response> {
    let pairs: HashMap<String, String> = serde_urlencoded::from_bytes(body).map_err(|e| {
        error_page(
            viewer,
            StatusCode::BAD_REQUEST,
            "Bad form",
            &format!("the form could not be read: {e}"),
        )
    })?;
    match pairs.get("csrf") {
        Some(t) if !viewer.csrf.is_empty() && *t == viewer.csrf => Ok(pairs),
        _ => Err(error_page(
            viewer,
            StatusCode::FORBIDDEN,
            "Form expired",
            "this form's CSRF token does not match your session (it may have expired): reload the page and try again",
        )),
    }
}

pub async fn login_form(
    axum::extract::Extension(viewer): axum::extract::Extension<Viewer>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let next = q.get("next").map(String::as_str).unwrap_or("/ui");
    login_page(&viewer, next, None)
}

fn login_page(viewer: &Viewer, next: &str, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    page_with(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        },
        "Sign in",
        viewer,
        "",
        &format!(
            "<h1>Sign in</h1>{error}<form method=\"post\" action=\"/ui/login\" class=\"stack\">{}<input type=\"hidden\" name=\"next\" value=\"{}\"><label>Token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required autofocus></label><button type=\"submit\">Sign in</button></form><p class=\"hint\">A token from the registry's tokens file (<code>evreg token</code> makes one). The browser keeps only a session cookie.</p>",
            viewer.csrf_field(),
            esc(next)
        ),
    )
}

pub async fn login(
    State(s): State<Shared>,
    axum::extract::Extension(viewer): axum::extract::Extension<Viewer>,
    req: Request,
) -> Response {
    let old = cookie_of(&req);
    let body = match axum::body::to_bytes(req.into_body(), 64 * 1024).await {
        Ok(b) => b,
        Err(e) => return error_page(&viewer, StatusCode::BAD_REQUEST, "Bad form", &e.to_string()),
    };
    let f = match form(&viewer, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let next = f
        .get("next")
        .filter(|n| n.starts_with("/ui") && !n.starts_with("/ui/login"))
        .cloned()
        .unwrap_or_else(|| "/ui".to_owned());
    let Some(tokens) = &s.tokens else {
        return redirect(&next);
    };
    let Some(token) = tokens.lookup(f.get("token").map(String::as_str).unwrap_or("")) else {
        return login_page(
            &viewer,
            &next,
            Some("That token is not known to this registry."),
        );
    };
    if let Some(old) = old {
        s.ui.sessions.end(&old);
    }
    let (id, _) = s.ui.sessions.start(Viewer {
        role: token.role,
        grant: Some(Grant(token)),
        csrf: String::new(),
        tokens: true,
        signing_in: false,
    });
    let mut r = redirect(&next);
    set_cookie(&mut r, &id);
    r
}

pub async fn logout(
    State(s): State<Shared>,
    axum::extract::Extension(viewer): axum::extract::Extension<Viewer>,
    req: Request,
) -> Response {
    let id = cookie_of(&req);
    let body = axum::body::to_bytes(req.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    if let Err(r) = form(&viewer, &body) {
        return r;
    }
    if let Some(id) = id {
        s.ui.sessions.end(&id);
    }
    let mut r = redirect("/ui");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// A page's endpoint behind the UI's session and, for pages that need one,
/// the role its route declares (the session runs first, so the role check
/// sees the viewer).
pub fn guarded(
    endpoint: MethodRouter<Shared>,
    route: &'static evreg_api::Route,
    state: &Shared,
) -> MethodRouter<Shared> {
    let endpoint = match route.access {
        evreg_api::Access::Session(role) => {
            endpoint.route_layer(axum::middleware::from_fn_with_state(role, require))
        }
        _ => endpoint,
    };
    endpoint.route_layer(axum::middleware::from_fn_with_state(state.clone(), session))
}

/// Refuses a page to a viewer below the route's role.
async fn require(State(role): State<Role>, req: Request, next: Next) -> Response {
    match req.extensions().get::<Viewer>() {
        Some(v) if v.may(role) => next.run(req).await,
        Some(v) => {
            let v = v.clone();
            error_page(
                &v,
                StatusCode::FORBIDDEN,
                "Not allowed",
                &format!(
                    "this needs {} {} token; you are signed in as a {}",
                    if role == Role::Admin { "an" } else { "a" },
                    role.as_str(),
                    v.role.as_str()
                ),
            )
        }
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `/ui`: the subjects list is the home page.
pub async fn home() -> Response {
    redirect("/ui/subjects")
}
