//! Stores for the contract suite: a fresh SQLite file per test, and a fresh PostgreSQL database per test when EVREG_TEST_POSTGRES_URL is set.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use evreg_server::{AppState, Store, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes what a test's store left behind when the test ends, passed or not.
#[derive(Debug)]
pub enum Cleanup {
    File(std::path::PathBuf),
    Database { admin: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Database { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // The test's runtime is shutting down; drop the database from a runtime of our own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&pool)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A fresh SQLite database in a file (WAL, a pool of connections, as served).
pub async fn sqlite() -> (Store, Cleanup) {
    let path = std::env::temp_dir().join(format!("{}.db", unique("evreg_test")));
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite store");
    (store, Cleanup::File(path))
}

/// The PostgreSQL URL of the opt-in suites, or `None` with the reason printed.
pub fn postgres_url() -> Option<String> {
    match std::env::var("EVREG_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped on PostgreSQL: EVREG_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let cut = base
        .rfind('/')
        .filter(|i| *i > base.find("://").map_or(0, |s| s + 2));
    let mut out = match cut {
        Some(i) => format!("{}/{name}", &base[..i]),
        None => format!("{base}/{name}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh PostgreSQL database, when the suite is switched on.
pub async fn postgres() -> Option<(Store, Cleanup)> {
    let admin = postgres_url()?;
    let name = unique("evreg_test");
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("EVREG_TEST_POSTGRES_URL={admin}: cannot connect: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create test database");
    pool.close().await;
    let store = Store::open(&with_database(&admin, &name))
        .await
        .expect("postgres store");
    Some((store, Cleanup::Database { admin, name }))
}

/// Runs each named `async fn(AppState)` on SQLite and, when switched on, on PostgreSQL.
#[macro_export]
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _cleanup) = super::support::sqlite().await;
                    super::$name(evreg_server::AppState::new(store)).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some((store, _cleanup)) = super::support::postgres().await else {
                        return;
                    };
                    super::$name(evreg_server::AppState::new(store)).await;
                }
            )*
        }
    };
}

/// One request with the given headers and raw body; answers status, headers and body text.
pub async fn exchange(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Body::from(body)).expect("request");
    let resp = app(state.clone()).oneshot(req).await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    documented::check(method, uri, status, &headers, &text);
    (status, headers, text)
}

/// Every JSON answer any suite receives is checked against the schema the
/// OpenAPI document (written from the route table) gives for its route and
/// status: the typed bodies and the document cannot drift apart.
pub mod documented {
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};

    use axum::http::{HeaderMap, StatusCode};
    use evreg_api::{ROUTES, Route};
    use serde_json::Value;

    static DOC: LazyLock<Value> = LazyLock::new(evreg_api::openapi);
    type Validators = Mutex<HashMap<(usize, String), Arc<jsonschema::Validator>>>;
    static VALIDATORS: LazyLock<Validators> = LazyLock::new(Validators::default);

    /// The documented route a request reached: the one whose template
    /// matches with the most literal segments.
    pub fn route_of(method: &str, uri: &str) -> Option<(usize, &'static Route)> {
        let path = uri.split('?').next().unwrap_or(uri);
        let segments: Vec<&str> = path.split('/').collect();
        ROUTES
            .iter()
            .enumerate()
            .filter(|(_, r)| r.method.as_str() == method && r.doc.is_some())
            .filter_map(|(i, r)| {
                let template: Vec<&str> = r.path.split('/').collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in template.iter().zip(&segments) {
                    if t.starts_with('{') {
                        if s.is_empty() {
                            return None;
                        }
                    } else if t == s {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, i, r))
            })
            .max_by_key(|(literal, ..)| *literal)
            .map(|(_, i, r)| (i, r))
    }

    pub fn check(method: &str, uri: &str, status: StatusCode, headers: &HeaderMap, text: &str) {
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        let Some((i, route)) = route_of(method, uri) else {
            return;
        };
        if !json {
            return;
        }
        let body: Value = serde_json::from_str(text).unwrap_or_else(|e| {
            panic!("{method} {uri}: a JSON answer that is not JSON ({e}): {text}")
        });
        let operation = &DOC["paths"][route.path][method.to_ascii_lowercase()];
        let responses = &operation["responses"];
        let key = if responses[status.as_str()].is_object() {
            status.as_str().to_owned()
        } else {
            "default".to_owned()
        };
        let validator = VALIDATORS
            .lock()
            .expect("validators")
            .entry((i, key.clone()))
            .or_insert_with(|| {
                let content = responses[&key]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .unwrap_or_else(|| panic!("{method} {}: {key} has no content", route.path));
                let mut schema = content["schema"].clone();
                schema["components"] = DOC["components"].clone();
                Arc::new(jsonschema::validator_for(&schema).expect("a documented schema compiles"))
            })
            .clone();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {uri} answered {status} with a body its documented schema ({} response {key}) refuses: {errors:?}\n{text}",
            route.path
        );
    }
}

/// One request with the given headers and raw body; answers status, content type and body text.
pub async fn send(
    state: &AppState,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, String, String) {
    let (status, h, text) = exchange(state, method, uri, headers, body).await;
    let content_type = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, text)
}

/// The topology the suites route with: auth.user.* to catalog.auth.events, consumed by catalog.
pub fn topology() -> evreg_core::config::RegistryConfig {
    evreg_core::config::RegistryConfig::parse(
        r#"
[[exchanges]]
name = "auth.events"
[[queues]]
name = "catalog.auth.events"
dead_letter_queue = "catalog.auth.events.dlq"
max_deliveries = 3
[[bindings]]
exchange = "auth.events"
queue = "catalog.auth.events"
pattern = "auth.user.*"
[[services]]
name = "auth"
produces = ["auth.user.created"]
[[services]]
name = "catalog"
consumes = ["catalog.auth.events"]
"#,
    )
    .expect("topology")
}
