//! Golden tests: each schema in `tests/golden/` generates the committed `.rs` beside it (bless with `UPDATE_EXPECT=1`), deterministically; errors name file and pointer.

use std::path::{Path, PathBuf};

use evreg_codegen::{Config, DateTimeCrate, Error};
use expect_test::expect_file;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn config(file: &Path) -> Config {
    Config::new()
        .schema_file(file)
        .datetime(DateTimeCrate::Chrono)
        .uuid(true)
}

fn check(name: &str) {
    let file = golden_dir().join(format!("{name}.json"));
    let (generated, read) = config(&file).generate().expect("generates");
    assert!(generated.warnings.is_empty(), "{:?}", generated.warnings);
    assert!(
        read.contains(&std::path::absolute(&file).expect("abs")),
        "{read:?}"
    );
    // Deterministic: a second run gives the same text.
    let (again, _) = config(&file).generate().expect("generates");
    assert_eq!(generated.code, again.code);
    expect_file![golden_dir().join(format!("{name}.rs"))].assert_eq(&generated.code);
}

#[test]
fn objects() {
    check("objects");
}

#[test]
fn enums() {
    check("enums");
}

#[test]
fn unions() {
    check("unions");
}

#[test]
fn refs() {
    check("refs");
}

#[test]
fn arrays() {
    check("arrays");
}

#[test]
fn validation_only() {
    check("validation_only");
}

/// The `time` crate instead of chrono.
#[test]
fn timestamps_with_the_time_crate() {
    let file = golden_dir().join("timestamps.json");
    let (generated, _) = Config::new()
        .schema_file(&file)
        .datetime(DateTimeCrate::Time)
        .generate()
        .expect("generates");
    expect_file![golden_dir().join("timestamps.rs")].assert_eq(&generated.code);
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-errors");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn constructs_without_a_rust_type_are_errors_naming_file_and_pointer() {
    let p = scratch(
        "not.json",
        r#"{"type": "object", "properties": {"a": {"not": {"type": "string"}}}}"#,
    );
    let err = config(&p).generate().expect_err("`not` has no Rust type");
    let Error::Unsupported {
        file,
        pointer,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(file.ends_with("not.json"), "{file}");
    assert_eq!(pointer, "/properties/a");
    assert!(message.contains("`not` has no Rust type"), "{message}");
    assert!(err.to_string().contains("not.json#/properties/a"), "{err}");

    let p = scratch(
        "false.json",
        r#"{"type": "object", "properties": {"tags": {"type": "array", "items": {"anyOf": [false, false]}}}}"#,
    );
    let err = config(&p).generate().expect_err("false accepts nothing");
    assert!(
        err.to_string()
            .contains("false.json#/properties/tags/items"),
        "{err}"
    );
}

#[test]
fn value_fallback_warns_instead() {
    let p = scratch(
        "fallback.json",
        r#"{"type": "object", "properties": {"a": {"not": {"type": "string"}}}}"#,
    );
    let (generated, _) = config(&p)
        .value_fallback(true)
        .generate()
        .expect("falls back");
    assert!(
        generated.code.contains("pub a: Option<serde_json::Value>"),
        "{}",
        generated.code
    );
    assert_eq!(generated.warnings.len(), 1);
    assert!(
        generated.warnings[0].contains("fallback.json#/properties/a"),
        "{:?}",
        generated.warnings
    );
}

#[test]
fn bad_configuration_is_an_error() {
    let err = Config::new()
        .schemas_dir("x")
        .routing_keys(&"a".repeat(256))
        .generate()
        .expect_err("a pattern longer than 255 bytes");
    assert!(err.to_string().contains("routing_keys"), "{err}");
    let err = Config::new().generate().expect_err("no input");
    assert!(err.to_string().contains("schemas_dir"), "{err}");
    let err = Config::new()
        .schemas_dir("/nonexistent/dir")
        .generate()
        .expect_err("missing dir");
    assert!(err.to_string().contains("/nonexistent/dir"), "{err}");
}

#[test]
fn routing_key_filter_keeps_matching_events() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let (g, _) = Config::new()
        .schemas_dir(&dir)
        .routing_keys("auth.user.*")
        .generate()
        .expect("generates");
    assert!(g.code.contains("pub struct UserCreatedV2"));
    assert!(!g.code.contains("ProductCreatedV1"));
    assert!(!g.code.contains("RoleUpdatedV1"));
}
