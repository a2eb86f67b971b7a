//! Benchmark, not a timed test: the UI's full subject list of a 10,000-subject registry, time to its last byte over real HTTP (target: under 100 ms).
//!
//! `cargo bench -p evreg-tests --bench ui` registers 10,000 routing keys in a
//! SQLite registry, serves it on loopback, and fetches `/ui/subjects` (every
//! subject, grouped) and a field search, reporting the median and the worst
//! of 21 fetches each after one warm-up. `-- --smoke` uses 500 subjects.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use evreg_server::{AppState, Store};

/// One GET with `Connection: close`, read to the last byte: (time, bytes, status line).
fn fetch(addr: std::net::SocketAddr, path: &str) -> (Duration, usize, String) {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut body = Vec::new();
    s.read_to_end(&mut body).expect("answer");
    let took = start.elapsed();
    let status = String::from_utf8_lossy(&body[..body.len().min(15)]).into_owned();
    (took, body.len(), status)
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let subjects = if smoke { 500 } else { 10_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let db = std::env::temp_dir().join(format!("evreg-bench-ui-{}.db", std::process::id()));
    let addr = rt.block_on(async {
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("store");
        let state = AppState::new(store);
        let started = Instant::now();
        for i in 0..subjects {
            let subject = format!("svc{}.entity{}.action{i}", i % 40, i % 250);
            let schema = format!(
                r#"{{"type":"object","properties":{{"id":{{"type":"string"}},"field{i}":{{"type":"integer"}}}},"required":["id"]}}"#
            );
            let new = state
                .candidate(&subject, &schema, Vec::new())
                .await
                .expect("candidate");
            state.register(&subject, new, None).await.expect("register");
        }
        eprintln!(
            "registered {subjects} subjects in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(evreg_server::serve(listener, state, std::future::pending()));
        addr
    });
    for (name, path) in [
        ("full subject list", "/ui/subjects"),
        ("field search", "/ui/subjects?q=field77"),
    ] {
        let (_, bytes, status) = fetch(addr, path); // warm-up: caches, first session
        assert!(status.starts_with("HTTP/1.1 200"), "{path}: {status}");
        let mut times: Vec<Duration> = (0..21).map(|_| fetch(addr, path).0).collect();
        times.sort();
        println!(
            "{name} ({subjects} subjects, {} KiB): median {:.1} ms, worst {:.1} ms",
            bytes / 1024,
            times[10].as_secs_f64() * 1e3,
            times[20].as_secs_f64() * 1e3
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
