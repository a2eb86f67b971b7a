//! The Audit consumer killed with SIGKILL in the middle of 10,000 events: after a restart every event is handled or dead-lettered, none lost. Needs `EVREG_TEST_AMQP_URL` and the management plugin; runs in a virtual host of its own.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use evreg_bus::topology::{Management, apply, url_in_vhost};
use evreg_bus::{Broker, dlq};

const EVENTS: usize = 10_000;

fn ids(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn start(bin: &str, url: &str, log: &Path) -> Child {
    Command::new(bin)
        .args(["--log", log.to_str().expect("utf-8")])
        .env("EVREG_AMQP_URL", url)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start the consumer")
}

#[test]
fn killing_the_audit_consumer_mid_burst_loses_no_event() {
    let Ok(amqp) = std::env::var("EVREG_TEST_AMQP_URL") else {
        eprintln!("skipped: set EVREG_TEST_AMQP_URL to run the kill -9 test on RabbitMQ");
        return;
    };
    let api = Management::new(
        &std::env::var("EVREG_TEST_AMQP_MANAGEMENT_URL")
            .unwrap_or_else(|_| "http://guest:guest@127.0.0.1:15672".into()),
    )
    .expect("management URL");
    let vhost = format!("evreg-test-kill-{}", std::process::id());
    api.fresh_vhost(&vhost, "guest")
        .expect("a vhost of its own");
    let url = url_in_vhost(&amqp, &vhost);

    let schemas = evreg_examples::schemas().expect("schemas");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let broker = Broker::new(&url, None).expect("url");
    rt.block_on(apply(&broker, schemas.plan())).expect("apply");

    let published = Command::new(env!("CARGO_BIN_EXE_auth-producer"))
        .args(["--count", &EVENTS.to_string()])
        .env("EVREG_AMQP_URL", &url)
        .output()
        .expect("producer");
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("audit.log");
    let _ = std::fs::remove_file(&log);
    let bin = env!("CARGO_BIN_EXE_audit-consumer");
    let mut first = start(bin, &url, &log);
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids(&log).len() < EVENTS / 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let at_kill = ids(&log).len();
    assert!(
        (EVENTS / 5..EVENTS).contains(&at_kill),
        "killed mid-burst: {at_kill} of {EVENTS} handled"
    );

    let mut second = start(bin, &url, &log);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut handled: HashSet<String> = HashSet::new();
    while Instant::now() < deadline {
        handled = ids(&log).into_iter().collect();
        if handled.len() >= EVENTS {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("kill").arg(second.id().to_string()).status();
    second.wait().expect("reaped");
    let dead = rt
        .block_on(dlq::list(&broker, &schemas, "audit.all.events", EVENTS))
        .expect("dlq");
    let dead: HashSet<String> = dead.into_iter().filter_map(|d| d.event_id).collect();
    let all: HashSet<&String> = handled.iter().chain(dead.iter()).collect();
    let duplicates = ids(&log).len() - handled.len();
    eprintln!(
        "killed after {at_kill}; after restart {} handled, {} dead-lettered, {duplicates} handled twice (at-least-once)",
        handled.len(),
        dead.len()
    );
    api.delete_vhost(&vhost);
    assert_eq!(all.len(), EVENTS, "every event handled or dead-lettered");
}
