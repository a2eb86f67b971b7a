//! The `evreg` command line: diff, diff --batch and check, their exit codes, and every kind of bad input.

use expect_test::expect;
use serde_json::{Value, json};

use crate::support::{copy_dir, evreg, repo, scratch, write};

fn schema_file(dir: &std::path::Path, name: &str, schema: &Value) -> String {
    let p = dir.join(name);
    write(&p, &serde_json::to_string_pretty(schema).expect("json"));
    p.display().to_string()
}

#[test]
fn diff_compatible_exits_0() {
    let d = scratch("diff_ok");
    let old = schema_file(
        &d,
        "old.json",
        &json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}),
    );
    let new = schema_file(
        &d,
        "new.json",
        &json!({"type": "object", "properties": {"a": {"type": "number"}}}),
    );
    let r = evreg(&[
        "diff", &old, &new, "--mode", "backward", "--policy", "strict",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("compatible under BACKWARD (STRICT)"),
        "{}",
        r.stdout
    );
}

#[test]
fn diff_incompatible_shows_path_message_and_witness() {
    let d = scratch("diff_bad");
    let old = schema_file(
        &d,
        "old.json",
        &json!({"type": "object", "properties": {"qty": {"type": "integer", "minimum": 0}}, "additionalProperties": false}),
    );
    let new = schema_file(
        &d,
        "new.json",
        &json!({"type": "object", "properties": {"qty": {"type": "integer", "minimum": 1}}, "required": ["qty"], "additionalProperties": false}),
    );
    let r = evreg(&["diff", &old, &new, "--mode", "BACKWARD"]);
    assert_eq!(r.code, 1, "{r:?}");
    let text = r.stdout.replace(&d.display().to_string(), "DIR");
    expect![[r#"
        DIR/old.json -> DIR/new.json: incompatible under BACKWARD (LENIENT)
          x BACKWARD REQUIRED_PROPERTY_ADDED at /qty
            at /qty: property "qty" is now required; the new schema rejects an event the old schema accepts
            old schema: #   new schema: #
            witness: {}
          x BACKWARD MINIMUM_INCREASED at /qty
            at /qty: numbers below 1 are no longer accepted; the new schema rejects an event the old schema accepts
            old schema: #/properties/qty   new schema: #/properties/qty
            witness: {"qty":0}
    "#]]
    .assert_eq(&text);
}

#[test]
fn diff_json_format_is_the_report() {
    let d = scratch("diff_json");
    let old = schema_file(&d, "old.json", &json!({"enum": ["a", "b"]}));
    let new = schema_file(&d, "new.json", &json!({"enum": ["a"]}));
    let r = evreg(&["diff", &old, &new, "--mode", "backward", "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).expect("json output");
    assert_eq!(v["verdict"], "incompatible");
    assert_eq!(v["changes"][0]["kind"], "ENUM_NARROWED");
    assert_eq!(v["changes"][0]["witness"], "b");
    assert_eq!(v["changes"][0]["direction"], "backward");
}

/// A witness holding an integer past 64 bits is that integer, in both formats.
#[test]
fn diff_witnesses_keep_every_digit() {
    let d = scratch("diff_digits");
    let file = |name: &str, digits: &str| {
        let path = d.join(name);
        std::fs::write(&path, format!(r#"{{"const": {digits}}}"#)).expect("write");
        path.display().to_string()
    };
    let old = file(
        "old.json",
        "12345678910111213141516171819202122232425262728293031",
    );
    let new = file(
        "new.json",
        "12345678910111213141516171819202122232425262728293032",
    );
    let r = evreg(&["diff", &old, &new, "--mode", "backward"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("witness: 12345678910111213141516171819202122232425262728293031"),
        "{}",
        r.stdout
    );
    let r = evreg(&["diff", &old, &new, "--mode", "backward", "--format", "json"]);
    assert!(
        r.stdout
            .contains(r#""witness": 12345678910111213141516171819202122232425262728293031"#),
        "{}",
        r.stdout
    );
}

#[test]
fn diff_unknown_exits_3_with_reason() {
    let d = scratch("diff_unknown");
    // Look-ahead has no finite automaton: inclusion between these two patterns is not decided.
    let old = schema_file(
        &d,
        "old.json",
        &json!({"type": "string", "pattern": "^(?!ab)[a-z]{2}$"}),
    );
    let new = schema_file(
        &d,
        "new.json",
        &json!({"type": "string", "pattern": "^(?!ba)[a-z]{2}$"}),
    );
    let r = evreg(&["diff", &old, &new, "--mode", "backward"]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stdout.contains("look-around has no finite automaton"),
        "{}",
        r.stdout
    );
}

#[test]
fn batch_reports_each_line_and_survives_bad_lines() {
    let d = scratch("batch");
    let lines = [
        json!({"id": "ok", "old": {"type": "integer"}, "new": {"type": "number"}, "mode": "BACKWARD"}).to_string(),
        "this is not json".to_owned(),
        json!({"id": "nope", "old": {"type": "string"}, "new": {"type": "integer"}, "mode": "BACKWARD", "policy": "strict"}).to_string(),
        json!({"id": "badmode", "old": {}, "new": {}, "mode": "SIDEWAYS"}).to_string(),
        json!({"id": "noold", "new": {}}).to_string(),
        json!({"id": "cyclic", "old": {"$ref": "#"}, "new": {}}).to_string(),
    ];
    let file = d.join("cases.jsonl");
    write(&file, &lines.join("\n"));
    let r = evreg(&["diff", "--batch", &file.display().to_string()]);
    assert_eq!(r.code, 2, "a bad line makes the run exit 2: {r:?}");
    let out: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect();
    assert_eq!(out.len(), 6);
    assert_eq!(out[0]["id"], "ok");
    assert_eq!(out[0]["verdict"], "compatible");
    assert_eq!(out[1]["verdict"], "error");
    assert_eq!(out[1]["line"], 2);
    assert_eq!(out[2]["verdict"], "incompatible");
    assert_eq!(out[2]["witness"], "");
    assert_eq!(out[2]["changes"][0]["kind"], "TYPE_NARROWED");
    assert_eq!(out[3]["verdict"], "error");
    assert!(
        out[3]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("SIDEWAYS")
    );
    assert_eq!(out[4]["verdict"], "error");
    assert!(
        out[4]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("\"old\"")
    );
    assert_eq!(out[5]["verdict"], "error");
    assert!(
        out[5]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("cycle")
    );
}

#[test]
fn check_passes_on_the_seed_schemas() {
    let dir = repo().join("schemas");
    let r = evreg(&["check", &dir.display().to_string()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("auth.user.created"), "{}", r.stdout);
    let r = evreg(&["check", &dir.display().to_string(), "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["ok"], true);
    let subjects = v["subjects"].as_array().expect("subjects");
    assert!(subjects.len() >= 14);
    let with_v2 = subjects
        .iter()
        .filter(|s| s["versions"].as_u64() >= Some(2))
        .count();
    assert!(with_v2 >= 3, "at least three routing keys evolve");
    for s in subjects {
        let examples = s["examples"].as_array().expect("examples");
        let versions = s["versions"].as_u64().expect("versions");
        for v in 1..=versions {
            assert!(
                examples.iter().any(|e| e["version"].as_u64() == Some(v)),
                "{} has an example for v{v}",
                s["routing_key"]
            );
        }
    }
}

/// A copy of the seed schemas to break on purpose.
fn seed_copy(name: &str) -> std::path::PathBuf {
    let d = scratch(name);
    copy_dir(&repo().join("schemas"), &d);
    d
}

#[test]
fn check_fails_on_a_breaking_version_with_github_annotations() {
    let d = seed_copy("check_breaking");
    let v2 = d.join("auth.user.created/v2.json");
    let mut s: Value =
        serde_json::from_str(&std::fs::read_to_string(&v2).expect("read")).expect("json");
    s["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("phone"));
    write(
        &d.join("auth.user.created/v3.json"),
        &serde_json::to_string_pretty(&s).expect("json"),
    );
    let r = evreg(&["check", &d.display().to_string(), "--format", "github"]);
    assert_eq!(r.code, 1, "{r:?}");
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("REQUIRED_PROPERTY_ADDED"))
        .expect("an annotation for the breaking change");
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains("auth.user.created/v3.json,line="), "{line}");
}

#[test]
fn check_fails_on_an_invalid_example() {
    let d = seed_copy("check_example");
    let ex = d.join("auth.user.created/examples/v1-basic.json");
    let mut e: Value =
        serde_json::from_str(&std::fs::read_to_string(&ex).expect("read")).expect("json");
    e["payload"]["roles"] = json!("role_sales");
    e["event_version"] = json!("v2");
    write(&ex, &serde_json::to_string_pretty(&e).expect("json"));
    let r = evreg(&["check", &d.display().to_string()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("invalid-example"), "{}", r.stdout);
    assert!(r.stdout.contains("/payload/roles"), "{}", r.stdout);
    assert!(r.stdout.contains("/event_version"), "{}", r.stdout);
}

#[test]
fn check_refuses_version_gaps_and_bad_directory_names() {
    let d = seed_copy("check_layout");
    std::fs::rename(
        d.join("auth.user.created/v2.json"),
        d.join("auth.user.created/v3.json"),
    )
    .expect("rename");
    write(&d.join("Auth.Bad/v1.json"), "{}");
    let r = evreg(&["check", &d.display().to_string()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("without gaps"), "{}", r.stdout);
    assert!(r.stdout.contains("not a routing key"), "{}", r.stdout);
}

#[test]
fn check_without_config_uses_defaults() {
    let d = scratch("check_noconfig");
    write(
        &d.join("shop.order.placed/v1.json"),
        r#"{"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false}"#,
    );
    write(
        &d.join("shop.order.placed/v2.json"),
        r#"{"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "string"}}, "additionalProperties": false}"#,
    );
    let r = evreg(&["check", &d.display().to_string()]);
    assert_eq!(
        r.code, 0,
        "LENIENT default accepts an added optional field: {r:?}"
    );
    assert!(r.stdout.contains("FULL_TRANSITIVE LENIENT"), "{}", r.stdout);
}

#[test]
fn check_against_git_refuses_edited_published_versions() {
    let d = seed_copy("check_git");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(&d)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "published"]);
    let dir = d.display().to_string();
    let r = evreg(&["check", &dir, "--against-git", "HEAD"]);
    assert_eq!(r.code, 0, "{r:?}");
    // Reformatting is not an edit; changing a description is.
    let v1 = d.join("auth.role.updated/v1.json");
    let text = std::fs::read_to_string(&v1).expect("read");
    let mut s: Value = serde_json::from_str(&text).expect("json");
    write(&v1, &serde_json::to_string(&s).expect("json"));
    assert_eq!(evreg(&["check", &dir, "--against-git", "HEAD"]).code, 0);
    s["description"] = json!("edited after publication");
    write(&v1, &serde_json::to_string(&s).expect("json"));
    std::fs::remove_file(d.join("auth.user.created/v2.json")).expect("rm");
    let r = evreg(&["check", &dir, "--against-git", "HEAD"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .contains("auth.role.updated/v1.json:1: edited-version"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("published version deleted"),
        "{}",
        r.stdout
    );
}

/// Every bad input is a clear error naming the file and pointer, exit 2, never a panic.
#[test]
fn bad_inputs_are_clear_errors() {
    let d = scratch("bad_inputs");
    let ok = schema_file(&d, "ok.json", &json!({}));
    let cases: Vec<(&str, String, &str)> = vec![
        ("unparsable.json", "{\"type\": \"string\"".to_owned(), "line 1 column 17: invalid JSON"),
        ("type5.json", r#"{"type": 5}"#.to_owned(), "type5.json#/type: not a valid JSON Schema"),
        ("cyclic.json", r##"{"$ref": "#"}"##.to_owned(), "cyclic.json#: $ref cycle through \"#\""),
        ("cyclic2.json", r##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##.to_owned(), "$ref cycle"),
        ("dangling.json", r##"{"properties": {"a": {"$ref": "#/$defs/nope"}}}"##.to_owned(), "dangling.json#/properties/a/$ref: cannot resolve $ref \"#/$defs/nope\""),
        ("remote.json", r#"{"$ref": "https://example.com/x.json"}"#.to_owned(), "remote references are never fetched"),
        ("regex.json", r#"{"type": "string", "pattern": "(unclosed"}"#.to_owned(), "regex.json#/pattern"),
        ("deep.json", format!("{}{{}}{}", "{\"not\":".repeat(10_000), "}".repeat(10_000)), "nests deeper than 128 levels"),
        ("array.json", "[1, 2]".to_owned(), "a schema must be a JSON object or a boolean"),
    ];
    for (name, text, want) in cases {
        let p = d.join(name);
        write(&p, &text);
        let path = p.display().to_string();
        for args in [
            vec!["diff", path.as_str(), ok.as_str()],
            vec!["diff", ok.as_str(), path.as_str()],
        ] {
            let r = evreg(&args);
            assert_eq!(r.code, 2, "{name}: {r:?}");
            assert!(
                r.stderr.contains(want),
                "{name}: want {want:?} in {:?}",
                r.stderr
            );
            assert!(
                r.stderr.contains(name),
                "{name}: the error names the file: {:?}",
                r.stderr
            );
        }
    }
    let r = evreg(&["diff", &d.join("missing.json").display().to_string(), &ok]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("missing.json: cannot read"),
        "{:?}",
        r.stderr
    );
    let r = evreg(&["diff", &ok, &ok, "--mode", "sideways"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown compatibility mode"),
        "{:?}",
        r.stderr
    );
}

/// A 10 MB schema is read, compared and answered, not refused or crashed on.
#[test]
fn a_ten_megabyte_schema_is_checked() {
    let d = scratch("big");
    let props: serde_json::Map<String, Value> = (0..40_000)
        .map(|i| {
            (
                format!("field_{i}"),
                json!({"type": "string", "maxLength": 64, "description": "x".repeat(200)}),
            )
        })
        .collect();
    let schema = json!({"type": "object", "properties": props, "additionalProperties": false});
    let text = serde_json::to_string(&schema).expect("json");
    assert!(text.len() > 10_000_000, "{}", text.len());
    let p = d.join("big.json");
    write(&p, &text);
    let path = p.display().to_string();
    let r = evreg(&[
        "diff", &path, &path, "--mode", "backward", "--policy", "strict",
    ]);
    assert_eq!(r.code, 0, "{:?}", r.stderr);
}

/// A report with thousands of changes: the human form shows the first ones
/// and counts the rest; JSON keeps every one.
#[test]
fn thousands_of_changes_stay_readable() {
    let d = scratch("wide");
    let props: serde_json::Map<String, Value> = (0..2_000)
        .map(|i| (format!("field_{i}"), json!({"type": "string"})))
        .collect();
    let wide = d.join("wide.json");
    write(
        &wide,
        &json!({"type": "object", "properties": props}).to_string(),
    );
    let any = d.join("object.json");
    write(&any, r#"{"type": "object"}"#);
    let (wide, any) = (wide.display().to_string(), any.display().to_string());
    let args = [
        "diff", &wide, &any, "--mode", "forward", "--policy", "strict",
    ];
    let human = evreg(&args);
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(human.stdout.lines().count() < 100, "{}", human.stdout);
    assert!(
        human.stdout.contains("... and 1980 more breaking changes"),
        "{}",
        human.stdout
    );
    let json_run = evreg(&[&args[..], &["--format", "json"]].concat());
    let report: Value = serde_json::from_str(&json_run.stdout).expect("json report");
    assert_eq!(report["changes"].as_array().map(Vec::len), Some(2_000));
}

/// `--schema-root`: by `$id`, relative to a root, mounted at a URI prefix;
/// an ambiguous `$id` and a reference found nowhere are errors that say
/// where evreg looked.
#[test]
fn schema_roots_resolve_by_id_path_and_prefix() {
    let d = scratch("roots");
    let f = |p: &str, v: Value| write(&d.join(p), &v.to_string());
    f(
        "defs/links/array.json",
        json!({"$id": "https://example.org/1.0/schema/links/array", "type": "array"}),
    );
    f("defs/common/money.json", json!({"type": "integer"}));
    f(
        "remote/tree.json",
        json!({"type": "object", "properties": {"kids": {"$ref": "tree.json"}}}),
    );
    f(
        "app/v1.json",
        json!({"$id": "https://example.org/1.0/schema/order", "properties": {
            "links": {"$ref": "links/array"},
            "total": {"$ref": "common/money.json"},
            "tree": {"$ref": "http://localhost:1234/tree.json"},
            "meta": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}),
    );
    let p = |s: &str| d.join(s).display().to_string();
    let (v1, defs) = (p("app/v1.json"), p("defs"));
    let mount = format!("http://localhost:1234/={}", p("remote"));
    let with_roots = || {
        evreg(&[
            "diff",
            &v1,
            &v1,
            "--schema-root",
            &defs,
            "--schema-root",
            &mount,
        ])
    };
    let r = with_roots();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Without roots, the error names the reference, its base and that no roots were given.
    let r = evreg(&["diff", &v1, &v1]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("#/properties/")
            && r.stderr
                .contains("(base URI https://example.org/1.0/schema/order)")
            && r.stderr.contains("no schema roots were given"),
        "{}",
        r.stderr
    );
    // Two different documents claiming the $id a reference needs.
    f(
        "defs/old/array.json",
        json!({"$id": "https://example.org/1.0/schema/links/array", "type": "string"}),
    );
    let r = with_roots();
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("declared as $id by two different documents")
            && r.stderr.contains("links/array.json")
            && r.stderr.contains("old/array.json"),
        "{}",
        r.stderr
    );
}
