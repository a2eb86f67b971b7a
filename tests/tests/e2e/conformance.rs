//! Conformance against public labelled cases in `$EVREG_CONFORMANCE_DIR`: compatibility pairs and RabbitMQ topic matching.
//!
//! Opt-in: without the variable the tests print why they skip and pass.

use std::collections::BTreeMap;
use std::path::PathBuf;

use evreg_core::routing::MAX_HASH_WORDS;
use evreg_core::{BindingPattern, Mode, Policy, SchemaSet, Verdict, check, topic_match};
use serde_json::Value;

fn dir() -> Option<PathBuf> {
    match std::env::var_os("EVREG_CONFORMANCE_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!(
                "skipped: set EVREG_CONFORMANCE_DIR to the conformance folder to run the conformance cases"
            );
            None
        }
    }
}

#[derive(Default)]
struct Tally {
    asked: u32,
    agree: u32,
    disagree: u32,
    unknown: u32,
    unsound: u32,
    bad_witness: u32,
}

/// Independent re-validation with the `jsonschema` crate, as the labels were made.
fn valid(schema: &Value, instance: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        _ => jsonschema::validator_for(schema).is_ok_and(|v| v.is_valid(instance)),
    }
}

#[test]
fn compatibility_cases() {
    let Some(dir) = dir() else { return };
    let text = std::fs::read_to_string(dir.join("compat-cases.jsonl"))
        .expect("compat-cases.jsonl is readable");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut problems = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("each line is JSON");
        let source = case["source"].as_str().unwrap_or("?").to_owned();
        for (mode, key, sub, sup) in [
            (Mode::Backward, "backward", "old", "new"),
            (Mode::Forward, "forward", "new", "old"),
        ] {
            let Some(label) = case[key].as_bool() else {
                continue;
            };
            let t = tallies.entry(source.clone()).or_default();
            t.asked += 1;
            let old =
                SchemaSet::new("file:///old.json", case["old"].clone()).expect("old schema loads");
            let new =
                SchemaSet::new("file:///new.json", case["new"].clone()).expect("new schema loads");
            let report =
                check(&old, &new, mode, Policy::Strict).expect("conformance schemas are checkable");
            match report.verdict {
                Verdict::Compatible if label => t.agree += 1,
                Verdict::Compatible => {
                    t.disagree += 1;
                    if case.get(format!("{key}_witness")).is_some() {
                        t.unsound += 1;
                        problems.push(format!("unsound: {} {key}", case["id"]));
                    }
                }
                Verdict::Incompatible => {
                    if label {
                        t.disagree += 1;
                        problems.push(format!("disagree: {} {key}", case["id"]));
                    } else {
                        t.agree += 1;
                    }
                    let witnessed = report
                        .changes
                        .iter()
                        .any(|c| valid(&case[sub], &c.witness) && !valid(&case[sup], &c.witness));
                    if !witnessed {
                        t.bad_witness += 1;
                        problems.push(format!("bad witness: {} {key}", case["id"]));
                    }
                }
                Verdict::Unknown => t.unknown += 1,
            }
        }
    }
    println!(
        "{:<10} {:>6} {:>6} {:>8} {:>8} {:>8} {:>11}",
        "source", "asked", "agree", "disagree", "unknown", "unsound", "bad witness"
    );
    let mut total = Tally::default();
    for (source, t) in &tallies {
        println!(
            "{source:<10} {:>6} {:>6} {:>8} {:>8} {:>8} {:>11}",
            t.asked, t.agree, t.disagree, t.unknown, t.unsound, t.bad_witness
        );
        total.asked += t.asked;
        total.agree += t.agree;
        total.disagree += t.disagree;
        total.unknown += t.unknown;
        total.unsound += t.unsound;
        total.bad_witness += t.bad_witness;
    }
    let agreement = f64::from(total.agree) / f64::from(total.asked.max(1));
    println!(
        "{:<10} {:>6} {:>6} {:>8} {:>8} {:>8} {:>11}   agreement {:.1}%",
        "total",
        total.asked,
        total.agree,
        total.disagree,
        total.unknown,
        total.unsound,
        total.bad_witness,
        agreement * 100.0
    );
    for p in problems.iter().take(20) {
        println!("  {p}");
    }
    assert_eq!(
        total.unsound, 0,
        "evreg said compatible where a verified witness refutes it"
    );
    assert_eq!(
        total.bad_witness, 0,
        "every incompatible verdict carries a witness that re-validates"
    );
    assert!(
        agreement >= 0.97,
        "agreement {:.1}% is under 97%",
        agreement * 100.0
    );
}

#[test]
fn topic_cases() {
    let Some(dir) = dir() else { return };
    let text = std::fs::read_to_string(dir.join("topic-cases.json"))
        .expect("topic-cases.json is readable");
    let cases: Value = serde_json::from_str(&text).expect("JSON");
    let mut failures = Vec::new();
    let matching = cases["matching"].as_array().expect("matching cases");
    for c in matching {
        let (p, k, want) = (
            c["pattern"].as_str().unwrap_or(""),
            c["key"].as_str().unwrap_or(""),
            c["matches"].as_bool(),
        );
        if Some(topic_match(p, k)) != want {
            failures.push(format!("match {p:?} ~ {k:?}: want {want:?}"));
        }
    }
    let validation = cases["binding_validation"]
        .as_array()
        .expect("validation cases");
    for c in validation {
        let (b, want) = (
            c["binding_key"].as_str().unwrap_or(""),
            c["accepted"].as_bool(),
        );
        // The cases are what RabbitMQ 4.3.5 accepts: evreg takes any pattern
        // older brokers take, and warns past MAX_HASH_WORDS.
        let accepted = BindingPattern::new(b).is_ok_and(|p| p.hash_words() <= MAX_HASH_WORDS);
        if Some(accepted) != want {
            failures.push(format!("binding {b:?}: want accepted = {want:?}"));
        }
    }
    println!(
        "topic cases: {} matching, {} binding validation, {} failures",
        matching.len(),
        validation.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
