//! The AsyncAPI documents carry the schemas faithfully: every seed example validates against its message's draft-07 schema as bundled in the document, and a broken one does not. (The official parser's check is `tests/asyncapi/run.sh`, run by `.ci/run`.)

use evreg_core::asyncapi::document;
use evreg_core::catalog::Catalog;
use evreg_core::layout::SchemaDir;
use evreg_core::schema::{SchemaSet, Validator};
use serde_json::{Value, json};

use crate::support::{evreg, repo};

/// A validator of one message as the AsyncAPI document `doc` carries it.
fn carried(doc: &Value, message: &str) -> Validator {
    let mut d = doc.clone();
    d["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    let wrapper = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": format!("urn:evreg:asyncapi#/components/schemas/message.{message}"),
    });
    let mut set = SchemaSet::new("urn:evreg:wrapper", wrapper).expect("wrapper");
    set.add("urn:evreg:asyncapi", d).expect("document");
    Validator::compile(&set).expect("compiles as draft-07")
}

#[test]
fn every_seed_example_validates_against_its_message_as_carried() {
    let dir = SchemaDir::load(&evreg_codegen::Disk, &repo().join("schemas")).expect("seed");
    let catalog = Catalog::from_schema_dir(&dir);
    let audit = document(&catalog, "audit", "/").expect("audit document");
    let mut checked = 0;
    for s in &dir.subjects {
        for f in &s.examples {
            let event: Value =
                serde_json::from_str(&std::fs::read_to_string(f).expect("read")).expect("JSON");
            let message = format!(
                "{}.{}",
                s.key,
                event["event_version"].as_str().expect("version")
            );
            let v = carried(&audit, &message);
            assert!(
                v.is_valid(&event),
                "{}: {:?}",
                f.display(),
                v.issues(&event)
            );
            let mut broken = event.clone();
            broken["event_type"] = json!("other.key.x");
            assert!(
                !v.is_valid(&broken),
                "{}: the routing key is part of the message",
                f.display()
            );
            let mut broken = event.clone();
            broken["payload"] = json!("not an object");
            assert!(!v.is_valid(&broken), "{}", f.display());
            checked += 1;
        }
    }
    assert!(checked >= 17, "{checked} examples");
}

#[test]
fn export_writes_one_document_per_service_and_names_unknown_ones() {
    let r = evreg(&[
        "export",
        "asyncapi",
        "--service",
        "catalog",
        "--dir",
        repo().join("schemas").to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["asyncapi"], "3.0.0");
    let ch = &doc["channels"]["queue.catalog.auth.events"];
    assert_eq!(ch["bindings"]["amqp"]["is"], "queue");
    assert_eq!(ch["x-evreg-dead-letter-queue"], "catalog.auth.events.dlq");
    assert_eq!(ch["x-evreg-retry"]["delays_ms"], json!([2000, 4000]));
    assert!(ch["messages"]["auth.user.created.v2"].is_object(), "{ch}");
    assert!(
        ch["messages"].get("auth.role.updated.v1").is_none(),
        "not bound to the queue"
    );
    assert_eq!(
        doc["channels"]["catalog.product.created"]["bindings"]["amqp"]["exchange"]["name"],
        "catalog.events"
    );
    let r = evreg(&[
        "export",
        "asyncapi",
        "--service",
        "billing",
        "--dir",
        repo().join("schemas").to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no such service (known: auth, catalog, inventory, orders, audit)"),
        "{}",
        r.stderr
    );
}
