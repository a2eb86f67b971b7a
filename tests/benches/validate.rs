//! Benchmark, not a timed test: messages validated per second in-process on one core, the baseline for the registry's `/validate/batch`.
//!
//! `cargo bench -p evreg-tests --bench validate` validates every seed example
//! message (envelope + payload, the validator `/validate` compiles) in a loop
//! on one thread: once from parsed values (the `jsonschema` crate alone), once
//! from text (parsing included, as the server must). `-- --smoke` is short.

use std::path::Path;
use std::time::{Duration, Instant};

use evreg_codegen::Disk;
use evreg_core::layout::SchemaDir;
use evreg_core::schema::{Validator, compose_message};
use serde_json::Value;

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let dir = SchemaDir::load(&Disk, &root).expect("seed schemas");
    let envelope = dir.envelope.as_ref().expect("seed envelope");
    let mut cases: Vec<(Validator, String, Value)> = Vec::new();
    for s in &dir.subjects {
        for example in &s.examples {
            let text = std::fs::read_to_string(example).expect("example");
            let message: Value = serde_json::from_str(&text).expect("example JSON");
            let version: u32 = message["event_version"]
                .as_str()
                .and_then(|v| v.trim_start_matches('v').parse().ok())
                .expect("event_version");
            let payload = s
                .versions
                .iter()
                .find(|v| v.number == version)
                .and_then(|v| v.schema.as_ref())
                .expect("the example's version");
            let set =
                compose_message(Some(envelope), s.key.as_str(), version, payload).expect("compose");
            let validator = Validator::compile(&set).expect("compile");
            assert!(
                validator.is_valid(&message),
                "{} is valid",
                example.display()
            );
            cases.push((validator, text, message));
        }
    }
    let budget = if smoke {
        Duration::from_millis(200)
    } else {
        Duration::from_secs(3)
    };
    let rate = |f: &dyn Fn(&(Validator, String, Value)) -> bool| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            for c in &cases {
                assert!(f(c));
                n += 1;
            }
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let values = rate(&|(v, _, m)| v.is_valid(m));
    let texts = rate(&|(v, t, _)| v.is_valid(&serde_json::from_str::<Value>(t).expect("json")));
    println!(
        "validate in-process, one core, {} seed example messages: {values:.0} events/s from values, {texts:.0} events/s from text",
        cases.len()
    );
}
