//! The `evreg` binary as platform teams run it: serve processes driven over HTTP by push, pull and check --against, a kill -9 in the middle of writes, and two replicas on one PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::Server;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(url: &str) -> (u16, Value) {
    match agent().get(url).call() {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        ),
        Err(_) => (0, Value::Null),
    }
}

fn post(url: &str, method: &str, body: &Value) -> (u16, Value) {
    let a = agent();
    let req = match method {
        "PUT" => a.put(url),
        _ => a.post(url),
    }
    .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    match req.send(body.to_string()) {
        Ok(mut r) => (
            r.status().as_u16(),
            r.body_mut().read_json().unwrap_or(Value::Null),
        ),
        Err(_) => (0, Value::Null),
    }
}

fn schema(v: Value) -> Value {
    json!({"schema": v.to_string()})
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("evreg-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn evreg(args: &[&str]) -> (i32, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("evreg")
        .chain(args.iter().copied())
        .map(Into::into);
    let code = evreg::run(argv, &mut out, &mut err);
    (
        code,
        format!(
            "{}{}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err)
        ),
    )
}

fn seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// A schema directory under `dir` with the seed's evreg.toml and envelope and no routing key's schema.
fn topology_only(seed: &Path, dir: &Path) -> PathBuf {
    let bare = dir.join("bare");
    std::fs::create_dir_all(&bare).expect("dir");
    for f in ["evreg.toml", "envelope.json"] {
        std::fs::copy(seed.join(f), bare.join(f)).expect("copy");
    }
    bare
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

#[test]
fn push_pull_and_check_against_a_running_registry() {
    let dir = temp("push");
    let server = Server::start(&format!("sqlite://{}", dir.join("r.db").display()), &[]);
    let seed = seed();
    let seed = seed.to_str().expect("utf-8 path");
    let (code, text) = evreg(&["push", seed, "--registry", &server.url]);
    assert_eq!(code, 0, "{text}");
    assert!(text.ends_with("19 new, 0 unchanged, 0 refused\n"), "{text}");
    let (code, text) = evreg(&["push", seed, "--registry", &server.url]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.ends_with("0 new, 19 unchanged, 0 refused\n"),
        "push is idempotent: {text}"
    );

    let pulled = dir.join("pulled");
    let pulled_s = pulled.to_str().expect("utf-8");
    let (code, text) = evreg(&["pull", "--registry", &server.url, "--out", pulled_s]);
    assert_eq!(code, 0, "{text}");
    let lock: Value = serde_json::from_str(
        &std::fs::read_to_string(pulled.join("evreg.lock")).expect("lock file"),
    )
    .expect("lock is JSON");
    assert_eq!(lock["subjects"].as_array().map(Vec::len), Some(19));
    let (_, latest) = get(&format!(
        "{}/subjects/auth.user.created/versions/2",
        server.url
    ));
    let entry = lock["subjects"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|e| e["subject"] == "auth.user.created" && e["version"] == 2)
        })
        .expect("auth.user.created v2 in the lock");
    assert_eq!(entry["id"], latest["id"]);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(pulled.join("auth.user.created/v2.json")).expect("v2 written"),
    )
    .expect("json");
    assert_eq!(
        written.to_string(),
        latest["schema"].as_str().expect("schema").to_owned()
    );
    // The pulled directory is a schema directory: check passes on it, against the same registry.
    let (code, text) = evreg(&["check", pulled_s, "--against", &server.url]);
    assert_eq!(code, 0, "{text}");

    // An edited published version, and a new version the registry would refuse.
    let work = dir.join("work");
    copy_dir(&pulled, &work);
    let v1 = work.join("auth.user.created/v1.json");
    let mut edited: Value =
        serde_json::from_str(&std::fs::read_to_string(&v1).expect("v1")).expect("json");
    edited["description"] = json!("edited after publication");
    std::fs::write(&v1, edited.to_string()).expect("write");
    let mut v3: Value = serde_json::from_str(
        &std::fs::read_to_string(work.join("auth.user.created/v2.json")).expect("v2"),
    )
    .expect("json");
    v3["properties"]["email"] = json!({"type": "integer"});
    std::fs::write(work.join("auth.user.created/v3.json"), v3.to_string()).expect("write v3");
    let (code, text) = evreg(&[
        "check",
        work.to_str().expect("utf-8"),
        "--against",
        &server.url,
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("v1.json:1: edited-version"), "{text}");
    assert!(
        text.contains("v3.json:1: incompatible: the registry refuses it"),
        "{text}"
    );
    // Push refuses the incompatible version and says why, with a witness.
    std::fs::write(
        &v1,
        std::fs::read_to_string(pulled.join("auth.user.created/v1.json")).expect("v1"),
    )
    .expect("restore");
    let (code, text) = evreg(&[
        "push",
        work.to_str().expect("utf-8"),
        "--registry",
        &server.url,
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("v3.json: refused:") && text.contains("witness"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Registrations from several threads; each acknowledged one is recorded.
fn burst(url: &str, threads: usize, per_thread: usize) -> Vec<(String, u64, u64)> {
    let mut handles = Vec::new();
    for t in 0..threads {
        let url = url.to_owned();
        handles.push(std::thread::spawn(move || {
            let mut acked = Vec::new();
            let subject = format!("crash.test.t{t}");
            for i in 0..per_thread {
                let body = schema(json!({"type": "object", "properties": (0..=i).map(|p| (format!("p{p}"), json!({"type": "string"}))).collect::<serde_json::Map<_, _>>()}));
                let (st, b) = post(&format!("{url}/subjects/{subject}/versions"), "POST", &body);
                if st != 200 {
                    // Only the kill may stop a writer: anything else is a server fault.
                    assert_eq!(st, 0, "registration failed before the kill: {b}");
                    break;
                }
                acked.push((subject.clone(), b["version"].as_u64().unwrap_or(0), b["id"].as_u64().unwrap_or(0)));
            }
            acked
        }));
    }
    handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect()
}

fn crash_and_recover(db: &str) {
    let mut server = Server::start(db, &[]);
    let url = server.url.clone();
    let writers = std::thread::spawn(move || burst(&url, 8, 10_000));
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();
    let acked = writers.join().expect("writers");
    assert!(
        acked.len() > 10,
        "the burst was under way: {} acknowledged",
        acked.len()
    );
    let server = Server::start(db, &[]);
    for (subject, version, id) in &acked {
        let (st, b) = get(&format!(
            "{}/subjects/{subject}/versions/{version}",
            server.url
        ));
        assert_eq!(
            st, 200,
            "acknowledged {subject} v{version} lost after kill -9: {b}"
        );
        assert_eq!(b["id"].as_u64(), Some(*id));
    }
    // Versions are contiguous per subject, and the store's own consistency check passes.
    for t in 0..8 {
        let (st, versions) = get(&format!("{}/subjects/crash.test.t{t}/versions", server.url));
        if st == 404 {
            continue; // this writer's first registration was still in flight
        }
        let n = versions.as_array().map_or(0, Vec::len) as u64;
        assert_eq!(versions, json!((1..=n).collect::<Vec<u64>>()));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let problems = rt.block_on(async {
        evreg_server::Store::open(db)
            .await
            .expect("reopen")
            .verify()
            .await
            .expect("verify")
    });
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn kill_9_during_registrations_loses_nothing_acknowledged_on_sqlite() {
    let dir = temp("crash");
    crash_and_recover(&format!("sqlite://{}", dir.join("crash.db").display()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs one administrative statement (CREATE/DROP DATABASE) on PostgreSQL.
fn admin(url: &str, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let pool = sqlx::PgPool::connect(url)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sql).execute(&pool).await.expect(sql);
    });
}

/// Drops a test database when the test ends.
struct Database {
    admin: String,
    name: String,
}

impl Drop for Database {
    fn drop(&mut self) {
        admin(
            &self.admin,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A fresh PostgreSQL database for one test; `None` (with the reason printed) when not switched on.
fn postgres_database(name: &str) -> Option<(String, Database)> {
    let Some(url) = std::env::var("EVREG_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: EVREG_TEST_POSTGRES_URL is not set");
        return None;
    };
    let db = format!("evreg_serve_{name}_{}", std::process::id());
    admin(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    admin(&url, &format!("CREATE DATABASE {db}"));
    let base = url
        .rsplit_once('/')
        .map_or(url.as_str(), |(b, _)| b)
        .to_owned();
    Some((
        format!("{base}/{db}"),
        Database {
            admin: url,
            name: db,
        },
    ))
}

#[test]
fn kill_9_during_registrations_loses_nothing_acknowledged_on_postgres() {
    let Some((url, _drop)) = postgres_database("crash") else {
        return;
    };
    crash_and_recover(&url);
}

#[test]
fn two_replicas_on_postgres_see_every_version_within_a_second() {
    let Some((url, _drop)) = postgres_database("replicas") else {
        return;
    };
    let a = Server::start(&url, &[]);
    let b = Server::start(&url, &[]);
    let (st, _) = post(
        &format!("{}/config/replicated.subject", a.url),
        "PUT",
        &json!({"compatibility": "NONE"}),
    );
    assert_eq!(st, 200);
    for i in 1..=40u64 {
        let (writer, reader) = if i % 2 == 1 { (&a, &b) } else { (&b, &a) };
        let (st, body) = post(
            &format!("{}/subjects/replicated.subject/versions", writer.url),
            "POST",
            &schema(json!({"type": "object", "title": format!("version {i}")})),
        );
        assert_eq!(st, 200, "{body}");
        assert_eq!(
            body["version"], i,
            "versions stay contiguous across replicas"
        );
        let start = Instant::now();
        loop {
            let (_, latest) = get(&format!(
                "{}/subjects/replicated.subject/versions/latest",
                reader.url
            ));
            if latest["version"] == i {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "version {i} not visible through the other replica within a second: {latest}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    for s in [&a, &b] {
        let (_, versions) = get(&format!("{}/subjects/replicated.subject/versions", s.url));
        assert_eq!(versions, json!((1..=40).collect::<Vec<u64>>()));
    }
    // Concurrent writes through both replicas at once serialise too.
    let threads: Vec<_> = [a.url.clone(), b.url.clone()]
        .into_iter()
        .flat_map(|u| (0..8).map(move |k| (u.clone(), k)))
        .map(|(u, k)| {
            std::thread::spawn(move || {
                post(
                    &format!("{u}/subjects/replicated.subject/versions"),
                    "POST",
                    &schema(json!({"type": "object", "title": format!("concurrent {u} {k}")})),
                )
                .0
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread"), 200);
    }
    std::thread::sleep(Duration::from_millis(600));
    let (_, versions) = get(&format!("{}/subjects/replicated.subject/versions", b.url));
    assert_eq!(versions, json!((1..=56).collect::<Vec<u64>>()));
}

#[test]
fn serve_imports_the_seed_validates_its_examples_and_routes_them() {
    let dir = temp("seed");
    let seed = seed();
    let server = Server::start(
        &format!("sqlite://{}", dir.join("seed.db").display()),
        &["--import", seed.to_str().expect("utf-8")],
    );
    let example = seed.join("auth.user.created/examples");
    let mut checked = 0;
    for e in std::fs::read_dir(&example).expect("examples") {
        let message: Value =
            serde_json::from_str(&std::fs::read_to_string(e.expect("entry").path()).expect("read"))
                .expect("json");
        let (st, b) = post(&format!("{}/validate", server.url), "POST", &message);
        assert_eq!((st, b["valid"].clone()), (200, json!(true)), "{b}");
        let mut broken = message.clone();
        broken["organization_id"] = json!(42);
        let (_, b) = post(&format!("{}/validate", server.url), "POST", &broken);
        assert_eq!(
            b["errors"][0]["instancePath"], "/organization_id",
            "the envelope is checked too: {b}"
        );
        checked += 1;
    }
    assert!(checked > 0);
    // The registry's AsyncAPI document equals the one exported from the directory.
    let (st, doc) = get(&format!("{}/asyncapi/catalog", server.url));
    assert_eq!(st, 200, "{doc}");
    let (code, exported) = evreg(&[
        "export",
        "asyncapi",
        "--service",
        "catalog",
        "--dir",
        seed.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{exported}");
    let exported: Value = serde_json::from_str(&exported).expect("JSON");
    assert_eq!(doc["channels"], exported["channels"]);
    assert_eq!(
        doc["components"]["messages"].as_object().map(|m| m.len()),
        exported["components"]["messages"]
            .as_object()
            .map(|m| m.len())
    );
    let (st, _) = get(&format!("{}/asyncapi/billing", server.url));
    assert_eq!(st, 404);
    let (st, route) = get(&format!("{}/topology/routes/auth.user.created", server.url));
    assert_eq!(st, 200, "{route}");
    assert!(
        route["consumers"].as_array().is_some_and(|c| !c.is_empty()),
        "{route}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_anonymous_access_off_loopback() {
    let (code, text) = evreg(&["serve", "--db", "sqlite::memory:", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("--tokens FILE") && text.contains("--insecure"),
        "{text}"
    );
    let dir = temp("tokens");
    let file = dir.join("tokens.toml");
    std::fs::write(
        &file,
        "[[tokens]]\nname = \"x\"\nsha256 = \"not a hash\"\nrole = \"reader\"\n",
    )
    .expect("write");
    let (code, text) = evreg(&[
        "serve",
        "--db",
        "sqlite::memory:",
        "--tokens",
        file.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("sha256 must be 64 hex digits"), "{text}");
    // `evreg token` prints an entry the server accepts, and the token it admits.
    let (code, text) = evreg(&[
        "token",
        "--name",
        "ci",
        "--role",
        "writer",
        "--subject-prefix",
        "auth.",
    ]);
    assert_eq!(code, 0, "{text}");
    let token = text
        .lines()
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .expect("token line")
        .to_owned();
    std::fs::write(&file, text.lines().skip(1).collect::<Vec<_>>().join("\n")).expect("write");
    let server = Server::start(
        "sqlite::memory:",
        &["--tokens", file.to_str().expect("utf-8")],
    );
    let (st, _) = get(&format!("{}/subjects", server.url));
    assert_eq!(st, 401);
    let r = agent()
        .post(format!(
            "{}/subjects/auth.user.created/versions",
            server.url
        ))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(schema(json!({"type": "string"})).to_string())
        .expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Schema directories whose versions share files (`../common/money.json`):
/// the shared files become subjects of their own, referenced by version.
#[test]
fn shared_files_travel_as_references() {
    let dir = temp("corpus");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let corpus_s = corpus.to_str().expect("utf-8");
    let imported = Server::start(
        &format!("sqlite://{}", dir.join("imported.db").display()),
        &["--import", corpus_s],
    );
    let (_, subjects) = get(&format!("{}/subjects", imported.url));
    let names: Vec<&str> = subjects
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.contains(&"common/money.json"), "{subjects}");
    let (_, v) = get(&format!(
        "{}/subjects/billing.invoice.paid/versions/latest",
        imported.url
    ));
    let references = v["references"].as_array().expect("references");
    assert!(
        references
            .iter()
            .any(|r| r["name"] == "../common/money.json" && r["subject"] == "common/money.json"),
        "{v}"
    );

    let server = Server::start(
        &format!("sqlite://{}", dir.join("pushed.db").display()),
        &[],
    );
    let (code, first) = evreg(&["push", corpus_s, "--registry", &server.url]);
    assert_eq!(code, 0, "{first}");
    let (code, again) = evreg(&["push", corpus_s, "--registry", &server.url]);
    assert_eq!(code, 0, "{again}");
    assert!(
        first.ends_with("38 new, 0 unchanged, 0 refused\n"),
        "{first}"
    );
    assert!(
        again.ends_with("0 new, 38 unchanged, 0 refused\n"),
        "{again}"
    );
    let (code, text) = evreg(&["check", corpus_s, "--against", &server.url]);
    assert_eq!(code, 0, "{text}");
    let pulled = dir.join("pulled");
    let (code, text) = evreg(&[
        "pull",
        "--registry",
        &server.url,
        "--out",
        pulled.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(pulled.join("common/money.json")).expect("shared file pulled")
        )
        .expect("json"),
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(corpus.join("common/money.json")).expect("corpus file")
        )
        .expect("json"),
    );
    let (code, text) = evreg(&[
        "check",
        pulled.to_str().expect("utf-8"),
        "--against",
        &server.url,
    ]);
    assert_eq!(code, 0, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_finishes_in_flight_registrations_and_exits_cleanly() {
    let dir = temp("term");
    let db = format!("sqlite://{}", dir.join("term.db").display());
    let mut server = Server::start(&db, &[]);
    let url = server.url.clone();
    let writers = std::thread::spawn(move || burst(&url, 4, 10_000));
    std::thread::sleep(Duration::from_millis(700));
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = server.child.wait().expect("wait");
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let acked = writers.join().expect("writers");
    assert!(!acked.is_empty());
    let again = Server::start(&db, &[]);
    for (subject, version, id) in &acked {
        let (st, b) = get(&format!(
            "{}/subjects/{subject}/versions/{version}",
            again.url
        ));
        assert_eq!(
            (st, b["id"].as_u64()),
            (200, Some(*id)),
            "{subject} v{version}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn logs_can_be_json_lines() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evreg"))
        .args([
            "serve",
            "--db",
            "sqlite::memory:",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--import",
        ])
        .arg(seed())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let stderr = child.stderr.take().expect("stderr");
    let first = BufReader::new(stderr)
        .lines()
        .next()
        .expect("a log line")
        .expect("read");
    let _ = child.kill();
    let _ = child.wait();
    let line: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(
        (line["level"].as_str(), line["message"].as_str()),
        (Some("INFO"), Some("registered")),
        "{line}"
    );
    assert!(
        line["subject"].is_string() && line["id"].is_number(),
        "{line}"
    );
}

/// `check --against` recognises published versions by content, not by number:
/// a registry that numbers them differently is no edit.
#[test]
fn check_against_matches_versions_by_content() {
    let dir = temp("numbering");
    let server = Server::start(&format!("sqlite://{}", dir.join("n.db").display()), &[]);
    // The registry's version 1 of the key was something else, since deleted.
    let key = "auth.user.created";
    let (st, _) = post(
        &format!("{}/subjects/{key}/versions", server.url),
        "POST",
        &schema(json!({"type": "null"})),
    );
    assert_eq!(st, 200);
    let _ = agent()
        .delete(format!("{}/subjects/{key}/versions/1", server.url))
        .call()
        .expect("delete");
    let (code, text) = evreg(&[
        "push",
        seed().to_str().expect("utf-8"),
        "--registry",
        &server.url,
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("auth.user.created v1: note: the registry numbers it version 2"),
        "{text}"
    );
    let (code, text) = evreg(&[
        "check",
        seed().to_str().expect("utf-8"),
        "--against",
        &server.url,
    ]);
    assert_eq!(code, 0, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A schema whose `$ref` names another file's `$id` (`links/array` against
/// the base `https://example.org/1.0/schema/order`), found through a schema
/// root outside the directory, plus a metaschema reference: it registers
/// through Confluent `references`, and push, pull and check round-trip it.
#[test]
fn references_by_id_through_schema_roots_round_trip() {
    let dir = temp("by-id");
    let write = |p: &Path, v: Value| {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    };
    write(
        &dir.join("defs/links/array.json"),
        json!({"$id": "https://example.org/1.0/schema/links/array", "type": "array", "items": {"type": "string"}}),
    );
    let schemas = dir.join("schemas");
    std::fs::create_dir_all(&schemas).expect("mkdir");
    std::fs::write(schemas.join("evreg.toml"), "schema_roots = [\"../defs\"]\n").expect("toml");
    write(
        &schemas.join("shop.order.placed/v1.json"),
        json!({"$id": "https://example.org/1.0/schema/order", "type": "object",
               "properties": {"links": {"$ref": "links/array"},
                              "rules": {"$ref": "http://json-schema.org/draft-07/schema#"}}}),
    );
    let schemas_s = schemas.to_str().expect("utf-8");
    let (code, text) = evreg(&["check", schemas_s]);
    assert_eq!(code, 0, "{text}");

    let server = Server::start(&format!("sqlite://{}", dir.join("r.db").display()), &[]);
    let (code, first) = evreg(&["push", schemas_s, "--registry", &server.url]);
    assert_eq!(code, 0, "{first}");
    assert!(
        first.ends_with("1 new, 0 unchanged, 0 refused\n"),
        "{first}"
    );
    let (code, again) = evreg(&["push", schemas_s, "--registry", &server.url]);
    assert!(
        again.ends_with("0 new, 1 unchanged, 0 refused\n"),
        "{again} {code}"
    );
    let (_, subjects) = get(&format!("{}/subjects", server.url));
    assert_eq!(subjects, json!(["links/array.json", "shop.order.placed"]));
    let (_, v) = get(&format!(
        "{}/subjects/shop.order.placed/versions/latest",
        server.url
    ));
    assert_eq!(
        v["references"],
        json!([{"name": "links/array", "subject": "links/array.json", "version": 1}]),
        "{v}"
    );
    // The registry validates with the referenced $id resolved.
    let (status, answer) = post(
        &format!("{}/validate", server.url),
        "POST",
        &json!({"payload": {"links": ["a"]}, "event_type": "shop.order.placed", "event_version": "v1"}),
    );
    assert_eq!(status, 200, "{answer}");
    let (_, bad) = post(
        &format!("{}/validate", server.url),
        "POST",
        &json!({"payload": {"links": [1]}, "event_type": "shop.order.placed", "event_version": "v1"}),
    );
    assert_eq!(bad["valid"], json!(false), "{bad}");

    let pulled = dir.join("pulled");
    let pulled_s = pulled.to_str().expect("utf-8");
    let (code, text) = evreg(&["pull", "--registry", &server.url, "--out", pulled_s]);
    assert_eq!(code, 0, "{text}");
    assert!(pulled.join("links/array.json").is_file());
    // The pulled directory resolves `links/array` by $id: it is its own root.
    let (code, text) = evreg(&["check", pulled_s, "--against", &server.url]);
    assert_eq!(code, 0, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `evreg publish --registry`: the schemas come from the registry (fetched
/// at start), the directory only gives evreg.toml and the envelope.
#[test]
fn publish_validates_against_the_registrys_schemas() {
    let Ok(amqp) = std::env::var("EVREG_TEST_AMQP_URL") else {
        eprintln!("skipped: set EVREG_TEST_AMQP_URL to publish through a registry's schemas");
        return;
    };
    let api = evreg_bus::topology::Management::new(
        &std::env::var("EVREG_TEST_AMQP_MANAGEMENT_URL")
            .unwrap_or_else(|_| "http://guest:guest@127.0.0.1:15672".into()),
    )
    .expect("management URL");
    let vhost = format!("evreg-test-registry-{}", std::process::id());
    api.fresh_vhost(&vhost, "guest").expect("vhost");
    let url = evreg_bus::topology::url_in_vhost(&amqp, &vhost);
    let dir = temp("registry-publish");
    let seed = seed();
    let server = Server::start(
        &format!("sqlite://{}", dir.join("r.db").display()),
        &["--import", seed.to_str().expect("utf-8")],
    );
    // Only the topology and the envelope: no routing key's schema is on disk.
    let bare = topology_only(&seed, &dir);
    let bare_s = bare.to_str().expect("utf-8");
    let (code, out) = evreg(&["topology", "apply", "--amqp", &url, "--dir", bare_s]);
    assert_eq!(code, 0, "{out}");
    let event = seed.join("auth.user.created/examples/v2-with-phone.json");
    let event_s = event.to_str().expect("utf-8");
    let (code, out) = evreg(&["publish", "--amqp", &url, "--dir", bare_s, event_s]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no schema for this routing key") && out.contains("nothing was sent"),
        "{out}"
    );
    let (code, out) = evreg(&[
        "publish",
        "--amqp",
        &url,
        "--dir",
        bare_s,
        "--registry",
        &server.url,
        event_s,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("published auth.user.created v2 to auth.events"),
        "{out}"
    );
    api.delete_vhost(&vhost);
}

/// `Schemas::from_registry`: the bus library takes every routing key's
/// versions from a registry once, and keeps validating after it is gone.
#[test]
fn bus_schemas_come_from_a_registry_and_outlive_it() {
    use evreg_bus::{Catalog, Schemas};
    use evreg_core::layout::SchemaDir;
    let dir = temp("registry-schemas");
    let seed = seed();
    let server = Server::start(
        &format!("sqlite://{}", dir.join("r.db").display()),
        &["--import", seed.to_str().expect("utf-8")],
    );
    let bare = topology_only(&seed, &dir);
    let catalog = Catalog::from_schema_dir(
        &SchemaDir::load(&evreg_codegen::Disk, &bare).expect("bare directory"),
    );
    assert!(catalog.payloads.is_empty(), "no schema on disk");
    let schemas = Schemas::from_registry(catalog.clone(), &server.url, None).expect("fetched");
    drop(server);

    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(seed.join(p)).expect("example"))
            .expect("JSON")
    };
    let v2 = read("auth.user.created/examples/v2-with-phone.json");
    let subject = schemas
        .check(&v2)
        .expect("the registry's v2 accepts its example");
    assert_eq!(
        (subject.routing_key.as_str(), subject.version),
        ("auth.user.created", 2)
    );
    let mut bad = v2.clone();
    bad["payload"]["email"] = json!(42);
    let err = schemas.check(&bad).expect_err("a number is no email");
    assert!(err.to_string().contains("/payload/email"), "{err}");

    // The registry is gone: a new source fails at once, naming it.
    let gone = format!("http://127.0.0.1:{}", free_port());
    let err = Schemas::from_registry(catalog, &gone, None).expect_err("nothing listens");
    assert!(err.to_string().contains(&gone), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
