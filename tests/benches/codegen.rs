//! Benchmarks, not timed tests: code generation time for the seed and for 1,000 generated event schemas, and the compile time of that generated code.
//!
//! `cargo bench -p evreg-tests --bench codegen` prints the figures in
//! BENCHMARKS.md; `-- --smoke` runs a small version for CI (no compile).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use evreg_codegen::{Config, DateTimeCrate};
use serde_json::json;

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let seed = root.join("schemas");
    let (ms, lines) = time_generation(&seed, if smoke { 1 } else { 10 });
    println!(
        "codegen: seed schemas ({} routing keys) in {ms:.1} ms (best), {lines} lines",
        count_keys(&seed)
    );
    let n = if smoke { 50 } else { 1_000 };
    let dir = root.join("target").join(format!("bench-codegen-{n}"));
    generate_registry(&dir, n);
    let (ms, lines) = time_generation(&dir, if smoke { 1 } else { 3 });
    println!(
        "codegen: {n} generated event schemas in {ms:.1} ms (best, formatting included), {lines} lines"
    );
    if !smoke {
        compile_generated(&root, &dir, n);
    }
}

fn count_keys(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().join("v1.json").is_file())
                .count()
        })
        .unwrap_or(0)
}

fn config(dir: &Path) -> Config {
    Config::new()
        .schemas_dir(dir)
        .datetime(DateTimeCrate::Chrono)
        .uuid(true)
}

/// Best wall time in milliseconds over `rounds`, and the generated line count.
fn time_generation(dir: &Path, rounds: usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut lines = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        let (g, _) = config(dir).generate().expect("generates");
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
        lines = g.code.lines().count();
    }
    (best, lines)
}

/// `n` routing keys, each a realistic payload: ids, money, an enum, a nested object, an array of objects.
fn generate_registry(dir: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("mkdir");
    for k in 0..n {
        let key = format!("svc{}.entity{k}.changed", k % 25);
        let kdir = dir.join(&key);
        std::fs::create_dir_all(&kdir).expect("mkdir");
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": format!("Entity{k}Changed"),
            "description": "An entity changed.",
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "status", "amount", "lines"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "description": "Entity id."},
                "status": {"enum": ["new", "active", "closed"], "description": "Lifecycle state."},
                "amount": {"$ref": "#/$defs/money"},
                "changed_at": {"type": "string", "format": "date-time"},
                "owner": {"type": "object", "additionalProperties": false, "required": ["user_id"],
                    "properties": {"user_id": {"type": "string"}, "email": {"type": ["string", "null"], "format": "email"}}},
                "lines": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["sku", "quantity"],
                    "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 10000}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "priority": {"type": "integer", "minimum": 0, "maximum": 9, "default": 5}
            },
            "$defs": {"money": {"type": "object", "additionalProperties": false, "required": ["amount_minor", "currency"],
                "properties": {"amount_minor": {"type": "integer", "minimum": 0}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}}}
        });
        std::fs::write(
            kdir.join("v1.json"),
            serde_json::to_string_pretty(&schema).expect("json"),
        )
        .expect("write");
    }
}

/// Builds a scratch crate that includes the generated file, as a user's would, and times `cargo build`.
fn compile_generated(root: &Path, dir: &Path, n: usize) {
    let krate: PathBuf = root.join("target").join(format!("bench-codegen-crate-{n}"));
    let src = krate.join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let (g, _) = config(dir).generate().expect("generates");
    std::fs::write(src.join("events.rs"), &g.code).expect("write");
    std::fs::write(
        src.join("lib.rs"),
        "#![deny(warnings)]\npub mod events {\n    include!(\"events.rs\");\n}\n",
    )
    .expect("write");
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"bench-events\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[workspace]\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\nchrono = { version = \"0.4\", default-features = false, features = [\"serde\", \"std\"] }\nuuid = { version = \"1\", default-features = false, features = [\"serde\", \"std\"] }\n",
    )
    .expect("write");
    let target = krate.join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = || {
        Command::new(&cargo)
            .args(["build", "--quiet"])
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", &target)
            .status()
            .expect("cargo runs")
    };
    // Dependencies first, so the figure is the generated code's own compile time.
    std::fs::write(src.join("lib.rs"), "").expect("write");
    assert!(build().success());
    std::fs::write(
        src.join("lib.rs"),
        "#![deny(warnings)]\npub mod events {\n    include!(\"events.rs\");\n}\n",
    )
    .expect("write");
    let start = Instant::now();
    let status = build();
    let secs = start.elapsed().as_secs_f64();
    assert!(
        status.success(),
        "the generated code for {n} schemas compiles"
    );
    println!(
        "codegen: generated code for {n} schemas ({} lines) compiles in {secs:.1} s (cargo build, debug, dependencies prebuilt)",
        g.code.lines().count()
    );
}
