//! Benchmarks, not timed tests: checker throughput over the conformance cases, and `evreg check` on a generated 1,000 × 5 registry.
//!
//! `cargo bench -p evreg-tests --bench compat` prints the figures recorded
//! in BENCHMARKS.md; `-- --smoke` runs a small, quick version for CI.

use std::path::{Path, PathBuf};
use std::time::Instant;

use evreg_core::{Mode, Policy, SchemaSet, check};
use serde_json::{Value, json};

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    conformance_throughput(smoke);
    let keys = if smoke { 50 } else { 1_000 };
    registry_check(keys, 5);
    wide_diff(if smoke {
        &[1_000]
    } else {
        &[1_000, 10_000, 40_000]
    });
}

/// `diff` of a schema with N properties (each 200 bytes of description, so
/// 40,000 make 10 MB) against `{"type": "object"}`, FULL, STRICT: every
/// property is a breaking change, so this measures the checker and the
/// report together. Best of 3; the growth should stay near linear.
fn wide_diff(sizes: &[usize]) {
    let mut last: Option<(usize, f64)> = None;
    for &n in sizes {
        let props: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("field_{i}"),
                    json!({"type": "string", "maxLength": 64, "description": "x".repeat(200)}),
                )
            })
            .collect();
        let wide = json!({"type": "object", "properties": props, "additionalProperties": false});
        let bytes = wide.to_string().len();
        let mut best = f64::MAX;
        let mut changes = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let old = SchemaSet::new("file:///wide.json", wide.clone()).expect("schema");
            let new =
                SchemaSet::new("file:///object.json", json!({"type": "object"})).expect("schema");
            let report = check(&old, &new, Mode::Full, Policy::Strict).expect("checks");
            best = best.min(start.elapsed().as_secs_f64());
            changes = report.changes.len();
        }
        let growth = last
            .map(|(m, t)| {
                format!(
                    ", {:.1}x the time for {:.0}x the properties",
                    best / t,
                    n as f64 / m as f64
                )
            })
            .unwrap_or_default();
        println!(
            "wide diff: {n} properties ({:.1} MB), {changes} changes: {best:.3} s best of 3{growth}",
            bytes as f64 / 1e6
        );
        last = Some((n, best));
    }
}

/// Pairs per second over every labelled direction of the conformance file.
fn conformance_throughput(smoke: bool) {
    let Some(dir) = std::env::var_os("EVREG_CONFORMANCE_DIR") else {
        println!("conformance throughput: skipped (set EVREG_CONFORMANCE_DIR)");
        return;
    };
    let text = std::fs::read_to_string(Path::new(&dir).join("compat-cases.jsonl"))
        .expect("compat-cases.jsonl");
    let mut pairs = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let c: Value = serde_json::from_str(line).expect("json line");
        for (mode, key) in [(Mode::Backward, "backward"), (Mode::Forward, "forward")] {
            if c[key].is_boolean() {
                pairs.push((c["old"].clone(), c["new"].clone(), mode));
            }
        }
    }
    let rounds = if smoke { 1 } else { 5 };
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        for (old, new, mode) in &pairs {
            let o = SchemaSet::new("file:///old.json", old.clone()).expect("old");
            let n = SchemaSet::new("file:///new.json", new.clone()).expect("new");
            let _ = check(&o, &n, *mode, Policy::Strict).expect("checkable");
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "conformance throughput: {} pairs in {:.3} s (best of {rounds}) = {:.0} pairs/s",
        pairs.len(),
        best,
        pairs.len() as f64 / best
    );
}

/// A registry of `keys` routing keys with `versions` versions each; each
/// version adds an optional field, so every FULL_TRANSITIVE check passes.
fn generate(dir: &Path, keys: usize, versions: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("evreg.toml"),
        "[compatibility]\nmode = \"FULL_TRANSITIVE\"\npolicy = \"LENIENT\"\n",
    )
    .expect("write");
    for k in 0..keys {
        let key = format!("svc{}.entity{k}.changed", k % 20);
        let kdir = dir.join(&key);
        std::fs::create_dir_all(&kdir).expect("mkdir");
        for v in 1..=versions {
            let mut props = serde_json::Map::new();
            props.insert(
                "id".into(),
                json!({"type": "string", "pattern": "^ent_[A-Za-z0-9]+$"}),
            );
            props.insert("amount".into(), json!({"$ref": "#/$defs/money"}));
            props.insert(
                "status".into(),
                json!({"enum": ["new", "active", "closed"]}),
            );
            props.insert("tags".into(), json!({"type": "array", "items": {"type": "string", "maxLength": 32}, "maxItems": 10, "uniqueItems": true}));
            props.insert(
                "changed_at".into(),
                json!({"type": "string", "format": "date-time"}),
            );
            for extra in 1..v {
                props.insert(
                    format!("field_{extra}"),
                    json!({"type": "integer", "minimum": 0}),
                );
            }
            let schema = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "amount", "status"],
                "properties": props,
                "$defs": {"money": {"type": "object", "additionalProperties": false, "required": ["amount_minor", "currency"],
                    "properties": {"amount_minor": {"type": "integer", "minimum": 0}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}}
            });
            std::fs::write(
                kdir.join(format!("v{v}.json")),
                serde_json::to_string_pretty(&schema).expect("json"),
            )
            .expect("write");
        }
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn registry_check(keys: usize, versions: usize) {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(format!("bench-registry-{keys}x{versions}"));
    generate(&dir, keys, versions);
    let before = peak_rss_kib();
    let start = Instant::now();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = ["evreg", "check", dir.to_str().expect("utf-8 path")].map(Into::into);
    let code = evreg::run(args, &mut out, &mut err);
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let pairs = keys * versions * (versions - 1) / 2;
    println!(
        "evreg check: {keys} routing keys x {versions} versions (FULL_TRANSITIVE, {pairs} version pairs, both directions) in {elapsed:.3} s; peak RSS {} MiB (process, {} MiB before)",
        peak_rss_kib().map_or("?".to_owned(), |k| (k / 1024).to_string()),
        before.map_or("?".to_owned(), |k| (k / 1024).to_string()),
    );
}
