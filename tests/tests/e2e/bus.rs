//! evreg-bus on the real RabbitMQ (`EVREG_TEST_AMQP_URL`): topology apply/diff/export, typed publish and consume of the seed's events, retries with backoff, dead letters and replay. Each test works in a virtual host of its own and deletes it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evreg_bus::consume::HandlerError;
use evreg_bus::metrics::Metrics;
use evreg_bus::topology::{Management, url_in_vhost, vhost_segment};
use evreg_bus::{Broker, BusError, Catalog, Consumer, Publisher, Schemas, dlq};
use evreg_core::layout::SchemaDir;
use evreg_core::topology::Plan;
use evreg_tests::seed_bus;
use serde_json::{Value, json};

use crate::support::{evreg, repo, scratch};

/// A virtual host for one test, deleted when dropped.
struct Vhost {
    name: String,
    amqp: String,
    api: Management,
    management: String,
}

impl Vhost {
    /// `None` (with the reason printed) when no broker is configured.
    fn new(test: &str) -> Option<Vhost> {
        let Ok(amqp) = std::env::var("EVREG_TEST_AMQP_URL") else {
            eprintln!(
                "skipped {test}: set EVREG_TEST_AMQP_URL (amqp://guest:guest@127.0.0.1:5672) to run the broker tests"
            );
            return None;
        };
        let management = std::env::var("EVREG_TEST_AMQP_MANAGEMENT_URL")
            .unwrap_or_else(|_| "http://guest:guest@127.0.0.1:15672".into());
        let api = Management::new(&management).expect("management URL");
        let name = format!("evreg-test-{test}-{}", std::process::id());
        let user = amqp
            .strip_prefix("amqp://")
            .and_then(|r| r.split(['@', ':']).next())
            .unwrap_or("guest");
        api.fresh_vhost(&name, user)
            .expect("create the test vhost (is the management plugin enabled?)");
        Some(Vhost {
            amqp: url_in_vhost(&amqp, &name),
            name,
            api,
            management,
        })
    }

    fn broker(&self) -> Broker {
        Broker::new(&self.amqp, None).expect("url")
    }

    fn queue_depth(&self, queue: &str) -> u64 {
        // The management API's counts lag; ask until they settle.
        let path = format!(
            "/api/queues/{}/{}",
            vhost_segment(&self.name),
            vhost_segment(queue)
        );
        let mut last = None;
        for _ in 0..60 {
            let q = self.api.get(&path).expect("queue");
            // Absent until the broker's first statistics tick.
            let n = q["messages"].as_u64();
            if let Some(depth) = n
                && n == last
            {
                return depth;
            }
            last = n;
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("{queue}: the management API never reported a settled depth")
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        self.api.delete_vhost(&self.name);
    }
}

/// A consumer running on the test's runtime until `stop`.
struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    handle: tokio::task::JoinHandle<evreg_bus::Result<()>>,
}

impl Running {
    fn start(consumer: Consumer) -> Running {
        let (stop, mut rx) = tokio::sync::watch::channel(false);
        let handle = tokio::spawn(consumer.run(async move {
            let _ = rx.wait_for(|s| *s).await;
        }));
        Running { stop, handle }
    }

    /// Stops it gracefully; it must have run without error.
    async fn stop(self) {
        self.stop.send(true).expect("stop");
        self.handle.await.expect("join").expect("the consumer ran");
    }
}

fn seed() -> SchemaDir {
    SchemaDir::load(&evreg_codegen::Disk, &repo().join("schemas")).expect("seed schemas")
}

fn seed_schemas() -> Arc<Schemas> {
    Arc::new(Schemas::new(Catalog::from_schema_dir(&seed())).expect("schemas compile"))
}

/// Every example event of the seed: each routing key, each version.
fn seed_examples() -> Vec<Value> {
    let mut out = Vec::new();
    for s in seed().subjects {
        for f in s.examples {
            let text = std::fs::read_to_string(&f).expect("example");
            out.push(serde_json::from_str(&text).expect("JSON"));
        }
    }
    out
}

/// The first seed example of a routing key.
fn example(key: &str) -> Value {
    seed_examples()
        .into_iter()
        .find(|e| e["event_type"] == key)
        .expect("the seed has an example of the key")
}

async fn apply_seed(v: &Vhost) -> Arc<Schemas> {
    let schemas = seed_schemas();
    evreg_bus::topology::apply(&v.broker(), schemas.plan())
        .await
        .expect("apply");
    schemas
}

/// `GET /metrics` over a plain socket, as Prometheus scrapes.
async fn scrape(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("response");
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    out
}

fn run(args: &[&str]) -> (i32, String) {
    let r = evreg(args);
    (r.code, format!("{}{}", r.stdout, r.stderr))
}

#[test]
fn topology_apply_is_idempotent_and_diff_finds_each_drift() {
    let Some(v) = Vhost::new("topology") else {
        return;
    };
    let dir = repo().join("schemas");
    let dir = dir.to_str().expect("utf-8");
    let common = ["--amqp", &v.amqp, "--dir", dir];
    let with = |cmd: &[&str], more: &[&str]| -> (i32, String) {
        let mut a: Vec<&str> = cmd.to_vec();
        a.extend_from_slice(&common);
        a.extend_from_slice(more);
        run(&a)
    };
    let m = ["--management", v.management.as_str()];

    let (code, out) = with(&["topology", "apply"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("created queue catalog.auth.events.retry.2000ms"),
        "{out}"
    );
    assert!(out.contains("created exchange auth.events"), "{out}");
    let (code, out) = with(&["topology", "apply"], &m);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    assert!(!out.contains("created"), "{out}");
    let (code, out) = with(&["topology", "diff"], &[]);
    assert_eq!((code, out.contains("no drift")), (0, true), "{out}");
    let (code, out) = with(&["topology", "diff"], &m);
    assert_eq!((code, out.contains("no drift")), (0, true), "{out}");

    // By hand: a DLQ recreated as classic, a binding removed, one added.
    let vs = vhost_segment(&v.name);
    v.api
        .delete(&format!("/api/queues/{vs}/catalog.auth.events.dlq"))
        .expect("delete");
    v.api
        .put(
            &format!("/api/queues/{vs}/catalog.auth.events.dlq"),
            Some(&json!({"durable": true, "arguments": {"x-queue-type": "classic"}})),
        )
        .expect("declare");
    v.api
        .delete(&format!(
            "/api/bindings/{vs}/e/auth.events/q/catalog.auth.events/auth.user.%2A"
        ))
        .expect("unbind");
    v.api
        .post(
            &format!("/api/bindings/{vs}/e/auth.events/q/catalog.auth.events"),
            &json!({"routing_key": "auth.#"}),
        )
        .expect("bind");

    // A policy is invisible to AMQP but changes the queue as an argument would.
    v.api
        .put(
            &format!("/api/policies/{vs}/evreg-test-ttl"),
            Some(
                &json!({"pattern": "^audit\\.all\\.events$", "apply-to": "queues",
                "definition": {"message-ttl": 60000}}),
            ),
        )
        .expect("set a policy");
    // The broker applies a policy to its queues asynchronously.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while v
        .api
        .get(&format!("/api/queues/{vs}/audit.all.events"))
        .map(|q| q["policy"] != json!("evreg-test-ttl"))
        .unwrap_or(true)
    {
        assert!(
            std::time::Instant::now() < until,
            "the policy never reached audit.all.events"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let (code, out) = with(&["topology", "diff"], &m);
    assert_eq!(code, 1, "{out}");
    for want in [
        "different queue catalog.auth.events.dlq: argument x-queue-type is \"classic\", the file says \"quorum\"",
        "missing binding auth.events -> catalog.auth.events (\"auth.user.*\")",
        "extra binding auth.events -> catalog.auth.events (\"auth.#\")",
        "different queue audit.all.events: policy \"evreg-test-ttl\" applies {\"message-ttl\":60000}; the file declares no policy",
        "4 difference(s)",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    // Over AMQP alone the queue's mismatch shows as RabbitMQ words it.
    let (code, out) = with(&["topology", "diff"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("different queue catalog.auth.events.dlq: PRECONDITION_FAILED"),
        "{out}"
    );
    // Apply refuses and changes nothing.
    let (code, out) = with(&["topology", "apply"], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("nothing was changed") && out.contains("topology diff"),
        "{out}"
    );
    let (_, out) = with(&["topology", "diff"], &m);
    assert!(out.contains("4 difference(s)"), "{out}");
}

#[test]
fn exported_definitions_import_into_a_fresh_vhost_without_drift() {
    let Some(v) = Vhost::new("export") else {
        return;
    };
    let dir = repo().join("schemas");
    let (code, defs) = run(&[
        "topology",
        "export",
        "--vhost",
        &v.name,
        "--dir",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{defs}");
    let defs: Value = serde_json::from_str(&defs).expect("definitions JSON");
    assert!(
        defs["queues"]
            .as_array()
            .expect("queues")
            .iter()
            .all(|q| q["vhost"] == v.name.as_str())
    );
    v.api.post("/api/definitions", &defs).expect("import");
    let (code, out) = run(&[
        "topology",
        "diff",
        "--amqp",
        &v.amqp,
        "--dir",
        dir.to_str().expect("utf-8"),
        "--management",
        &v.management,
    ]);
    assert_eq!((code, out.contains("no drift")), (0, true), "{out}");
    let (code, out) = run(&[
        "topology",
        "diff",
        "--amqp",
        &v.amqp,
        "--dir",
        dir.to_str().expect("utf-8"),
    ]);
    assert_eq!((code, out.contains("no drift")), (0, true), "{out}");
}

#[test]
fn bad_topology_files_name_the_entry() {
    let dir = scratch("bus-bad-topology");
    std::fs::write(
        dir.join("evreg.toml"),
        "[[exchanges]]\nname = \"a.events\"\n[[queues]]\nname = \"a.q\"\n[[queues]]\nname = \"b.q\"\ndead_letter_queue = \"a.q\"\n",
    )
    .expect("write");
    let (code, out) = run(&["topology", "export", "--dir", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("queues[1].dead_letter_queue: dead-letter queue \"a.q\" is also a work queue"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_events_reach_audit_all_and_catalog_what_its_bindings_match() {
    let Some(v) = Vhost::new("routing") else {
        return;
    };
    let schemas = apply_seed(&v).await;
    let examples = seed_examples();
    let metrics = Metrics::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let metrics_addr = listener.local_addr().expect("addr");
    tokio::spawn(metrics.clone().serve(listener));
    let publisher = Publisher::new(v.broker(), schemas.clone()).with_metrics(metrics.clone());
    // Typed: a generated v1 payload, the bus fills the envelope.
    let typed = seed_bus::auth::user::UserCreatedV1 {
        user_id: "user_typed".into(),
        email: "typed@example.com".into(),
        roles: vec!["role_admin".into()],
        full_name: None,
        local_ids: None,
        created_at: None,
    };
    let sent = publisher
        .publish(
            &typed,
            json!({"organization_id": "org_1", "actor": {"user_id": "user_admin"}}),
        )
        .await
        .expect("typed publish");
    assert!(sent.event_id.starts_with("evt_"), "{sent:?}");
    for e in &examples {
        publisher
            .publish_json(e.clone())
            .await
            .expect("publish example");
    }
    publisher.close().await;
    let total = examples.len() + 1;
    let keys: Vec<String> = examples
        .iter()
        .map(|e| e["event_type"].as_str().expect("type").to_owned())
        .chain(["auth.user.created".to_owned()])
        .collect();
    let catalog_wants = keys
        .iter()
        .filter(|k| {
            let key = evreg_core::RoutingKey::new(k).expect("a routing key");
            schemas
                .catalog()
                .config
                .routes(&key)
                .iter()
                .any(|r| r.queue == "catalog.auth.events")
        })
        .count();
    assert!(
        catalog_wants > 3 && catalog_wants < total,
        "{catalog_wants} of {total}"
    );

    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut runs = Vec::new();
    for queue in ["audit.all.events", "catalog.auth.events"] {
        let seen = seen.clone();
        let consumer = Consumer::new(v.broker(), schemas.clone(), queue)
            .expect("consumer")
            .metrics(metrics.clone())
            .on_any(move |e: seed_bus::AnyEvent, ctx| {
                let seen = seen.clone();
                async move {
                    assert!(!matches!(e, seed_bus::AnyEvent::Unknown(_)), "typed: {e:?}");
                    seen.lock()
                        .expect("lock")
                        .push((ctx.queue, ctx.routing_key));
                    Ok::<(), HandlerError>(())
                }
            });
        runs.push(Running::start(consumer));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = seen.lock().expect("lock").len();
        if got >= total + catalog_wants || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more: nothing beyond the expected may arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for r in runs {
        r.stop().await;
    }
    // The operator's questions, one metric each: rate, latency, DLQ size, backlog.
    metrics
        .read_depths(&v.broker(), schemas.plan())
        .await
        .expect("depths");
    let text = scrape(metrics_addr).await;
    let sum = |prefix: &str| -> u64 {
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    assert_eq!(sum("evreg_events_published_total{"), total as u64, "{text}");
    assert_eq!(
        sum("evreg_events_consumed_total{queue=\"audit.all.events\""),
        total as u64,
        "{text}"
    );
    assert_eq!(
        sum("evreg_event_latency_seconds_count{queue=\"audit.all.events\""),
        total as u64,
        "{text}"
    );
    for want in [
        "evreg_events_consumed_total{queue=\"catalog.auth.events\",event_type=\"auth.user.created\",event_version=\"v2\",outcome=\"acked\"} 1",
        "evreg_queue_messages{queue=\"audit.all.events\"} 0",
        "evreg_dead_letter_messages{queue=\"catalog.auth.events\"} 0",
        "evreg_handler_duration_seconds_count{queue=\"catalog.auth.events\",event_type=\"auth.user.created\"} 4",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    let seen = seen.lock().expect("lock").clone();
    let audit: Vec<&String> = seen
        .iter()
        .filter(|(q, _)| q == "audit.all.events")
        .map(|(_, k)| k)
        .collect();
    let catalog: Vec<&String> = seen
        .iter()
        .filter(|(q, _)| q == "catalog.auth.events")
        .map(|(_, k)| k)
        .collect();
    assert_eq!(audit.len(), total, "audit gets every event");
    assert_eq!(catalog.len(), catalog_wants, "catalog: {catalog:?}");
    assert!(
        catalog.iter().all(|k| k.starts_with("auth.user.")
            || k.as_str() == "auth.role.permissions_changed"
            || k.as_str() == "auth.organization.suspended"
            || k.as_str() == "auth.local.deleted"),
        "{catalog:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_and_unroutable_events_are_refused_and_nothing_is_sent() {
    let Some(v) = Vhost::new("refuse") else {
        return;
    };
    let schemas = apply_seed(&v).await;
    let publisher = Publisher::new(v.broker(), schemas.clone());
    let mut bad = example("auth.user.created");
    bad["payload"]["email"] = json!(42);
    let err = publisher.publish_json(bad).await.expect_err("invalid");
    assert!(matches!(err, BusError::Invalid(_)), "{err}");
    assert!(err.to_string().contains("/payload/email"), "{err}");
    assert_eq!(v.queue_depth("audit.all.events"), 0, "nothing was sent");

    // Remove audit's catch-all binding: auth.role.updated then reaches no queue.
    let vs = vhost_segment(&v.name);
    v.api
        .delete(&format!(
            "/api/bindings/{vs}/e/auth.events/q/audit.all.events/%23"
        ))
        .expect("unbind");
    let role = example("auth.role.updated");
    let err = publisher.publish_json(role).await.expect_err("unroutable");
    assert!(matches!(err, BusError::Unroutable { .. }), "{err}");
    publisher.close().await;

    // An unreachable broker: a bounded wait, a clear error, no password shown.
    let down = Broker::new("amqp://guest:hunter2@127.0.0.1:1/%2f", None)
        .expect("url")
        .with_connect_timeout(Duration::from_millis(300));
    let p = Publisher::new(down, schemas).with_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let e = seed_examples().remove(0);
    let err = p.publish_json(e).await.expect_err("unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(text.contains("not confirmed within 1000 ms"), "{text}");
    assert!(
        text.contains("cannot connect") && !text.contains("hunter2"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_handler_is_retried_with_backoff_then_dead_lettered_and_replayed() {
    let Some(v) = Vhost::new("retry") else {
        return;
    };
    let schemas = apply_seed(&v).await;
    let publisher = Publisher::new(v.broker(), schemas.clone());
    let event = example("auth.user.deactivated");
    let key = event["event_type"].as_str().expect("key").to_owned();
    publisher.publish_json(event).await.expect("publish");
    // Not JSON, straight onto the exchange: dead-lettered at once as invalid.
    let conn = v.broker().connect("test raw").await.expect("connect");
    let ch = conn.create_channel().await.expect("channel");
    ch.basic_publish(
        "auth.events".into(),
        "auth.user.updated".into(),
        Default::default(),
        b"{not json",
        Default::default(),
    )
    .await
    .expect("raw publish");

    let attempts: Arc<Mutex<Vec<(u32, Instant)>>> = Arc::default();
    let outcomes: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, o) = (attempts.clone(), outcomes.clone());
    let consumer = Consumer::new(v.broker(), schemas.clone(), "catalog.auth.events")
        .expect("consumer")
        .on::<seed_bus::auth::user::UserDeactivatedV1, _, _>(move |_m, ctx| {
            let a = a.clone();
            async move {
                a.lock().expect("lock").push((ctx.attempt, Instant::now()));
                Err::<(), HandlerError>("inventory service unavailable".into())
            }
        })
        .observe(move |h| o.lock().expect("lock").push(h.outcome.as_str().to_owned()));
    let run = Running::start(consumer);
    let deadline = Instant::now() + Duration::from_secs(20);
    while outcomes.lock().expect("lock").len() < 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run.stop().await;
    let attempts = attempts.lock().expect("lock").clone();
    let numbers: Vec<u32> = attempts.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 3], "exactly 3 attempts");
    let gap1 = attempts[1].1 - attempts[0].1;
    let gap2 = attempts[2].1 - attempts[1].1;
    assert!(
        gap1 >= Duration::from_millis(1900) && gap1 < Duration::from_millis(3500),
        "{gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(3900) && gap2 < Duration::from_millis(6000),
        "{gap2:?}"
    );
    let mut outcomes = outcomes.lock().expect("lock").clone();
    outcomes.sort();
    assert_eq!(outcomes, ["dead_lettered", "invalid", "retried", "retried"]);

    let letters = dlq::list(&v.broker(), &schemas, "catalog.auth.events", 10)
        .await
        .expect("list");
    assert_eq!(letters.len(), 2, "{letters:?}");
    let failed = letters
        .iter()
        .find(|l| l.reason.as_deref() == Some("failed"))
        .expect("the failed one");
    assert_eq!(failed.attempts, Some(3));
    assert_eq!(failed.routing_key.as_deref(), Some(key.as_str()));
    assert_eq!(
        failed.error.as_deref(),
        Some("inventory service unavailable")
    );
    assert_eq!(failed.queue.as_deref(), Some("catalog.auth.events"));
    let invalid = letters
        .iter()
        .find(|l| l.reason.as_deref() == Some("invalid"))
        .expect("the invalid one");
    assert_eq!(invalid.routing_key.as_deref(), Some("auth.user.updated"));
    assert!(
        invalid
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("not JSON")
    );

    // The handler is fixed: replay moves the valid one back; the invalid one stays.
    let replayed = dlq::replay(&v.broker(), &schemas, "catalog.auth.events.dlq", 10)
        .await
        .expect("replay");
    assert_eq!(replayed.replayed, 1);
    assert_eq!(replayed.kept.len(), 1);
    let handled: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let h = handled.clone();
    let consumer = Consumer::new(v.broker(), schemas.clone(), "catalog.auth.events")
        .expect("consumer")
        .on::<seed_bus::auth::user::UserDeactivatedV1, _, _>(move |m, ctx| {
            let h = h.clone();
            async move {
                h.lock()
                    .expect("lock")
                    .push((m.event_id.clone(), ctx.attempt));
                Ok::<(), HandlerError>(())
            }
        });
    let run = Running::start(consumer);
    let deadline = Instant::now() + Duration::from_secs(10);
    while handled.lock().expect("lock").is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run.stop().await;
    let handled = handled.lock().expect("lock").clone();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].1, 1, "attempts start again");
    assert_eq!(v.queue_depth("catalog.auth.events.dlq"), 1);
}

#[test]
fn the_shell_publishes_consumes_with_a_command_and_lists_dead_letters() {
    let Some(v) = Vhost::new("shell") else {
        return;
    };
    let dir = repo().join("schemas");
    let dir = dir.to_str().expect("utf-8");
    let (code, out) = run(&["topology", "apply", "--amqp", &v.amqp, "--dir", dir]);
    assert_eq!(code, 0, "{out}");
    let examples = repo().join("schemas/auth.user.created/examples");
    let good = examples.join("v1-basic.json");
    let good2 = examples.join("v2-with-phone.json");
    let work = scratch("bus-shell");
    let bad = work.join("bad.json");
    let mut b: Value =
        serde_json::from_str(&std::fs::read_to_string(&good).expect("read")).expect("json");
    b["payload"]["roles"] = json!([]);
    std::fs::write(&bad, b.to_string()).expect("write");
    // One invalid file: nothing is sent, not even the valid ones before it.
    let (code, out) = run(&[
        "publish",
        "--amqp",
        &v.amqp,
        "--dir",
        dir,
        good.to_str().expect("utf-8"),
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("/payload/roles") && out.contains("nothing was sent"),
        "{out}"
    );
    assert_eq!(v.queue_depth("catalog.auth.events"), 0);
    let (code, out) = run(&[
        "publish",
        "--amqp",
        &v.amqp,
        "--dir",
        dir,
        good.to_str().expect("utf-8"),
        good2.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.matches("published auth.user.created").count(),
        2,
        "{out}"
    );
    let sink = work.join("seen.jsonl");
    let cmd = format!(
        "cat >> {} && echo \" $EVREG_ROUTING_KEY $EVREG_ATTEMPT\" >> {}",
        sink.display(),
        sink.display()
    );
    let (code, out) = run(&[
        "consume",
        "catalog.auth.events",
        "--amqp",
        &v.amqp,
        "--dir",
        dir,
        "--exec",
        &cmd,
        "--max-events",
        "2",
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("acked auth.user.created").count(), 2, "{out}");
    let seen = std::fs::read_to_string(&sink).expect("sink");
    assert_eq!(seen.matches(" auth.user.created 1").count(), 2, "{seen}");
    assert!(seen.contains("\"event_version\":\"v2\""), "{seen}");
    let (code, out) = run(&[
        "dlq",
        "list",
        "catalog.auth.events",
        "--amqp",
        &v.amqp,
        "--dir",
        dir,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 dead letter(s) shown"), "{out}");
    // Plans and the CLI agree on the names.
    let plan = Plan::from_config(&seed().config);
    assert!(plan.queue("catalog.auth.events.dlq").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_reconnects_after_its_connection_is_closed_and_tail_watches_without_taking() {
    let Some(v) = Vhost::new("reconnect") else {
        return;
    };
    let schemas = apply_seed(&v).await;
    let publisher = Publisher::new(v.broker(), schemas.clone());
    let event = || example("auth.user.updated");
    // tail sees what reaches catalog.auth.events without taking it.
    let tailed: Arc<Mutex<Vec<String>>> = Arc::default();
    let t = tailed.clone();
    let broker = v.broker();
    let tail_schemas = schemas.clone();
    let tail = tokio::spawn(async move {
        evreg_bus::consume::tail(
            &broker,
            &tail_schemas,
            "catalog.auth.events",
            tokio::time::sleep(Duration::from_secs(30)),
            move |e| {
                t.lock().expect("lock").push(e.routing_key);
                false
            },
        )
        .await
    });
    let handled: Arc<Mutex<Vec<String>>> = Arc::default();
    let h = handled.clone();
    let consumer = Consumer::new(v.broker(), schemas.clone(), "catalog.auth.events")
        .expect("consumer")
        .on_any(move |e: Value, _| {
            let h = h.clone();
            async move {
                h.lock()
                    .expect("lock")
                    .push(e["event_id"].as_str().unwrap_or_default().to_owned());
                Ok::<(), HandlerError>(())
            }
        });
    let run = Running::start(consumer);
    let wait_for = |n: usize| {
        let handled = handled.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            while handled.lock().expect("lock").len() < n && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            handled.lock().expect("lock").len()
        }
    };
    // The tail queue must be bound before the first event.
    tokio::time::sleep(Duration::from_millis(500)).await;
    publisher.publish_json(event()).await.expect("publish");
    assert_eq!(wait_for(1).await, 1);
    tail.await.expect("join").expect("tail");
    assert_eq!(*tailed.lock().expect("lock"), ["auth.user.updated"]);

    // Close every connection of the vhost, as a broker restart or a network cut would.
    let vs = vhost_segment(&v.name);
    let mut closed = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while closed == 0 && Instant::now() < deadline {
        let conns = v
            .api
            .get(&format!("/api/vhosts/{vs}/connections"))
            .expect("connections");
        for c in conns.as_array().into_iter().flatten() {
            if let Some(name) = c["name"].as_str() {
                let _ = v
                    .api
                    .delete(&format!("/api/connections/{}", vhost_segment(name)));
                closed += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        closed > 0,
        "the management API listed the consumer's connection"
    );
    // The publisher reconnects on its own; the consumer after its backoff.
    publisher
        .publish_json(event())
        .await
        .expect("publish after the cut");
    assert_eq!(wait_for(2).await, 2, "the consumer came back");
    run.stop().await;
    publisher.close().await;
}
