//! Generated code as users see it: every example decodes into its type and encodes back, versions dispatch, unknown events survive.

use std::path::Path;

use evreg_tests::{corpus, seed};
use serde_json::Value;

use crate::support::repo;

/// Every `examples/*.json` under a schema directory, with its routing key.
fn examples(dir: &Path) -> Vec<(String, std::path::PathBuf, Value)> {
    let mut out = Vec::new();
    let mut keys: Vec<_> = std::fs::read_dir(dir)
        .expect("schema dir")
        .map(|e| e.expect("entry").path())
        .collect();
    keys.sort();
    for k in keys {
        let ex = k.join("examples");
        if !ex.is_dir() {
            continue;
        }
        let mut files: Vec<_> = std::fs::read_dir(&ex)
            .expect("examples")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
            out.push((
                k.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned(),
                f,
                v,
            ));
        }
    }
    out
}

#[test]
fn every_seed_example_decodes_into_its_type_and_encodes_back_equal() {
    let all = examples(&repo().join("schemas"));
    assert!(all.len() >= 16, "{} examples", all.len());
    for (key, file, json) in all {
        let event = seed::AnyEvent::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            event.routing_key(),
            Some(key.as_str()),
            "{}",
            file.display()
        );
        let back = serde_json::to_value(&event).expect("serializes");
        assert_eq!(back, json, "{} round-trips to equal JSON", file.display());
    }
}

#[test]
fn every_corpus_example_decodes_and_round_trips() {
    let all = examples(&repo().join("tests/corpus"));
    assert!(all.len() >= 30, "{} examples", all.len());
    for (key, file, json) in all {
        let event = corpus::AnyEvent::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            event.routing_key(),
            Some(key.as_str()),
            "{}",
            file.display()
        );
        // Defaults are filled in on reading, so compare typed values after a second trip.
        let back = serde_json::to_value(&event).expect("serializes");
        let again = corpus::AnyEvent::from_value(back.clone()).expect("re-reads");
        assert_eq!(again, event, "{}", file.display());
        assert_eq!(serde_json::to_value(&again).expect("serializes"), back);
    }
}

#[test]
fn versions_dispatch_on_event_version() {
    use seed::auth::user::{UserCreated, UserCreatedV1, UserCreatedV2};
    let v1 =
        std::fs::read_to_string(repo().join("schemas/auth.user.created/examples/v1-basic.json"))
            .expect("read");
    let v2 = std::fs::read_to_string(
        repo().join("schemas/auth.user.created/examples/v2-with-phone.json"),
    )
    .expect("read");
    let e1: seed::Envelope<UserCreated> = serde_json::from_str(&v1).expect("v1 reads");
    assert!(matches!(e1.payload, UserCreated::V1(_)));
    assert_eq!(e1.payload.event_version(), "v1");
    let e2: seed::Envelope<UserCreated> = serde_json::from_str(&v2).expect("v2 reads");
    let UserCreated::V2(p) = &e2.payload else {
        panic!("v2 event read as {:?}", e2.payload)
    };
    assert!(p.phone.is_some());
    // A single-version type refuses the other version instead of misreading it.
    let err = serde_json::from_str::<seed::Envelope<UserCreatedV1>>(&v2).expect_err("v2 is not v1");
    assert!(
        err.to_string()
            .contains("expected a auth.user.created v1 event"),
        "{err}"
    );
    assert!(serde_json::from_str::<seed::Envelope<UserCreatedV2>>(&v2).is_ok());
    // And another routing key is refused too.
    let other = std::fs::read_to_string(
        repo().join("schemas/auth.user.deactivated/examples/v1-resigned.json"),
    )
    .expect("read");
    assert!(serde_json::from_str::<seed::Envelope<UserCreated>>(&other).is_err());
}

#[test]
fn unknown_events_are_kept_raw() {
    let raw = serde_json::json!({"event_type": "auth.user.teleported", "event_version": "v1", "payload": {"x": 1}});
    let e: seed::AnyEvent =
        serde_json::from_value(raw.clone()).expect("never fails on an unknown type");
    assert_eq!(e, seed::AnyEvent::Unknown(raw.clone()));
    assert_eq!(serde_json::to_value(&e).expect("ser"), raw);
    let future = serde_json::json!({"event_type": "auth.user.created", "event_version": "v9", "payload": {}});
    assert!(matches!(
        seed::AnyEvent::from_value(future).expect("unknown version"),
        seed::AnyEvent::Unknown(_)
    ));
    // A known type and version whose payload breaks its schema is an error, not Unknown.
    let broken = serde_json::json!({"event_id": "evt_1", "event_type": "auth.user.created", "event_version": "v1",
        "timestamp": "2025-11-15T10:30:00Z", "organization_id": "org_1", "actor": {"user_id": "user_1"}, "payload": {"user_id": 5}});
    assert!(seed::AnyEvent::from_value(broken).is_err());
}

#[test]
fn event_constants_and_publishing() {
    use seed::Event;
    use seed::auth::user::UserCreatedV1;
    assert_eq!(UserCreatedV1::ROUTING_KEY, "auth.user.created");
    assert_eq!(UserCreatedV1::VERSION, "v1");
    assert_eq!(UserCreatedV1::EXCHANGE, "auth.events");
    assert_eq!(UserCreatedV1::SCHEMA_ID, None);
    let payload = UserCreatedV1 {
        user_id: "user_002".into(),
        email: "vendedor@empresa.com".into(),
        roles: vec!["role_sales".into()],
        full_name: None,
        local_ids: None,
        created_at: None,
    };
    let ts = chrono::DateTime::parse_from_rfc3339("2025-11-15T10:30:00Z")
        .expect("ts")
        .with_timezone(&chrono::Utc);
    let actor = seed::EnvelopeActor {
        user_id: "user_admin_001".into(),
        email: Some("admin@empresa.com".into()),
    };
    let msg = seed::Envelope::new("evt_88291ABC".into(), ts, "org_123".into(), actor, payload);
    assert_eq!(msg.routing_key(), "auth.user.created");
    assert_eq!(msg.exchange(), "auth.events");
    let body: Value = serde_json::from_slice(&msg.to_body().expect("body")).expect("json");
    let seed_example: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/auth.user.created/examples/v1-basic.json"))
            .expect("read"),
    )
    .expect("json");
    assert_eq!(
        body, seed_example,
        "the seed's own example event, built from types"
    );
    assert_eq!(
        seed::queues::catalog_auth_events::NAME,
        "catalog.auth.events"
    );
    assert!(seed::queues::catalog_auth_events::BINDINGS.contains(&("auth.events", "auth.user.*")));
    assert!(seed::ROUTING_KEYS.contains(&"orders.order.placed"));
}

/// Code generation never panics: every schema of the public conformance cases
/// either generates code or fails with an error naming file and pointer.
#[test]
fn generation_never_panics_on_public_schemas() {
    let Some(dir) = std::env::var_os("EVREG_CONFORMANCE_DIR") else {
        eprintln!(
            "skipped: set EVREG_CONFORMANCE_DIR to run code generation over the conformance schemas"
        );
        return;
    };
    let text = std::fs::read_to_string(Path::new(&dir).join("compat-cases.jsonl")).expect("cases");
    let (mut ok, mut errors, mut fallback_ok) = (0, 0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("json");
        for side in ["old", "new"] {
            let Ok(set) =
                evreg_core::SchemaSet::new("file:///conformance/schema.json", case[side].clone())
            else {
                continue;
            };
            let strict = evreg_codegen::Options::default();
            match evreg_codegen::generate_schema(&set, "Schema", &strict) {
                // Generated text has been parsed by syn inside generate(): it is valid Rust syntax.
                Ok(_) => ok += 1,
                Err(e) => {
                    errors += 1;
                    assert!(
                        e.to_string().contains("schema.json"),
                        "errors name the file: {e}"
                    );
                }
            }
            let lenient = evreg_codegen::Options {
                value_fallback: true,
                ..Default::default()
            };
            if evreg_codegen::generate_schema(&set, "Schema", &lenient).is_ok() {
                fallback_ok += 1;
            }
        }
    }
    println!(
        "conformance schemas: {ok} generated, {errors} refused with an error; {fallback_ok} with the Value fallback"
    );
    assert!(ok > 1000, "{ok}");
}

#[test]
fn evreg_gen_writes_a_file_and_reads_a_lock_file() {
    let d = crate::support::scratch("gen_lock");
    crate::support::copy_dir(&repo().join("schemas"), &d.join("schemas"));
    let lock = serde_json::json!({"registry": "http://127.0.0.1:8081", "subjects": [
        {"subject": "auth.user.created", "version": 1, "id": 41},
        {"subject": "auth.user.created", "version": 2, "id": 42}]});
    crate::support::write(&d.join("schemas/evreg.lock"), &lock.to_string());
    let out = d.join("events.rs");
    let r = crate::support::evreg(&[
        "gen",
        "--schemas",
        &d.join("schemas").display().to_string(),
        "--out",
        &out.display().to_string(),
        "--datetime",
        "chrono",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let code = std::fs::read_to_string(&out).expect("written");
    assert!(
        code.contains("const SCHEMA_ID: Option<u64> = Some(42u64);"),
        "the lock file's ids are used"
    );
    let r = crate::support::evreg(&[
        "gen",
        "--schema",
        &repo()
            .join("codegen/tests/golden/refs.json")
            .display()
            .to_string(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("pub struct FolderMoved"), "{}", r.stdout);
    crate::support::write(
        &d.join("schemas/evreg.lock"),
        "{\"subjects\": [{\"subject\": 1}]}",
    );
    let r = crate::support::evreg(&["gen", "--schemas", &d.join("schemas").display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("evreg.lock: line 1 column 27: invalid type: integer `1`, expected a string"),
        "{}",
        r.stderr
    );
}

/// With the schemars derive, each generated payload type's own JSON Schema
/// admits exactly what its source schema admits: FULL (both directions),
/// STRICT, decided by evreg-core.
#[test]
fn generated_types_describe_their_source_schemas_exactly() {
    round_trip("schemas", evreg_tests::seed_schemars::payload_schemas(), 19);
}

#[test]
fn generated_corpus_types_describe_their_source_schemas_exactly() {
    round_trip(
        "tests/corpus",
        evreg_tests::corpus_schemars::payload_schemas(),
        38,
    );
}

fn round_trip(dir: &str, schemas: Vec<(&str, u32, schemars::Schema)>, at_least: usize) {
    use evreg_core::{Mode, Policy, SchemaSet, Verdict, check};
    let mut failures = Vec::new();
    assert!(schemas.len() >= at_least, "{}", schemas.len());
    for (key, version, schema) in schemas {
        let path = repo().join(format!("{dir}/{key}/v{version}.json"));
        let source =
            evreg_core::layout::load_schema(&evreg_codegen::Disk, &path).expect("source loads");
        let value = schema.to_value();
        let generated = SchemaSet::new(
            &format!("file:///generated/{key}/v{version}.json"),
            value.clone(),
        )
        .expect("generated loads");
        let report = check(&source, &generated, Mode::Full, Policy::Strict).expect("checkable");
        if report.verdict != Verdict::Compatible {
            failures.push(format!(
                "{key} v{version}: {} {:?} {:?}\n  generated: {}",
                report.verdict.as_str(),
                report
                    .changes
                    .iter()
                    .map(|c| (&c.kind, &c.path, c.witness.to_string()))
                    .collect::<Vec<_>>(),
                report.reasons,
                value
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Optional, nullable, defaulted and required-but-nullable properties read as their schema says.
#[test]
fn optional_nullable_and_default_fields_follow_the_schema() {
    use evreg_tests::goldens::objects::Shipment;
    let base = serde_json::json!({"id": "s1", "destination": {"city": "Santiago"}, "weight_grams": 10, "returned_at": null});
    let s: Shipment = serde_json::from_value(base.clone()).expect("minimal shipment");
    assert_eq!(s.returned_at, None);
    assert!(!s.priority, "default false");
    assert_eq!(s.carrier, "internal", "default string");
    assert_eq!(s.attempts, 1, "default integer");
    let mut missing = base.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("returned_at");
    let err =
        serde_json::from_value::<Shipment>(missing).expect_err("required even though nullable");
    assert!(err.to_string().contains("returned_at"), "{err}");
    let too_heavy = serde_json::json!({"id": "s1", "destination": {"city": "x"}, "weight_grams": -1, "returned_at": null});
    assert!(
        serde_json::from_value::<Shipment>(too_heavy).is_err(),
        "u32 from minimum 0"
    );
}

/// With `DateTimeCrate::Time`, date-times read and write as RFC 3339 through `time`.
#[test]
fn time_crate_date_times_round_trip() {
    use evreg_tests::goldens::timestamps::ClockSynced;
    let json = serde_json::json!({"at": "2025-11-15T10:30:00Z", "previous": null, "next": "2025-11-16T00:00:00+01:00"});
    let c: ClockSynced = serde_json::from_value(json.clone()).expect("reads");
    assert_eq!(c.at.year(), 2025);
    assert_eq!(c.next.map(|n| n.offset().whole_hours()), Some(1));
    assert_eq!(serde_json::to_value(&c).expect("writes"), json);
    let missing = serde_json::json!({"at": "2025-11-15T10:30:00Z"});
    assert!(
        serde_json::from_value::<ClockSynced>(missing).is_err(),
        "previous is required, though nullable"
    );
}

/// Enums that mix scalar types: protobuf's JSON enum reads a name or its
/// number and writes the name; any other mix reads and writes each value.
/// An enum member past 64 bits is named by its digits and, within 128 bits,
/// written with all of them.
#[test]
fn enum_integers_past_64_bits_keep_their_digits() {
    use evreg_tests::goldens::enums::AlertRaisedTicket;
    let i128_max = AlertRaisedTicket::N170141183460469231731687303715884105727;
    assert_eq!(
        serde_json::to_string(&i128_max).expect("writes"),
        "170141183460469231731687303715884105727"
    );
    let read: AlertRaisedTicket =
        serde_json::from_str("170141183460469231731687303715884105727").expect("reads");
    assert_eq!(read, i128_max);
    let err = serde_json::from_str::<AlertRaisedTicket>("1").expect_err("not listed");
    assert!(
        err.to_string().contains(
            "one of 170141183460469231731687303715884105727, 12345678910111213141516171819202122232425262728293031"
        ),
        "{err}"
    );
}

#[test]
fn mixed_scalar_enums_read_every_listed_value() {
    use evreg_tests::goldens::enums::{AlertRaised, AlertRaisedLevel, AlertRaisedStatus};
    let base = serde_json::json!({"kind": "alert", "state": "firing", "severity": 1});
    let with = |k: &str, v: Value| {
        let mut e = base.clone();
        e["status"] = serde_json::json!("STATUS_ACTIVE");
        e[k] = v;
        e
    };
    let by_number: AlertRaised =
        serde_json::from_value(with("status", serde_json::json!(1))).expect("reads the number");
    assert_eq!(by_number.status, AlertRaisedStatus::StatusActive);
    assert_eq!(
        serde_json::to_value(&by_number).expect("writes")["status"],
        serde_json::json!("STATUS_ACTIVE"),
        "writes the name"
    );
    for (json, level) in [
        (serde_json::json!("auto"), AlertRaisedLevel::Auto),
        (serde_json::json!(2), AlertRaisedLevel::N2),
        (serde_json::json!(true), AlertRaisedLevel::True),
        (serde_json::json!(1.5), AlertRaisedLevel::N1_5),
    ] {
        let e: AlertRaised = serde_json::from_value(with("level", json.clone())).expect("reads");
        assert_eq!(e.level, Some(level));
        assert_eq!(serde_json::to_value(&e).expect("writes")["level"], json);
    }
    let err = serde_json::from_value::<AlertRaised>(with("level", serde_json::json!(3)))
        .expect_err("3 is not listed");
    assert!(
        err.to_string()
            .contains("expected one of \"auto\", 2, true, 1.5"),
        "{err}"
    );
    assert!(serde_json::from_value::<AlertRaised>(with("status", serde_json::json!(7))).is_err());
}
