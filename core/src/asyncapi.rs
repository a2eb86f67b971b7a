//! AsyncAPI 3.0 documents per service: channels per routing key and per consumed queue, messages per version with the whole message schema (envelope and payload) bundled and carried as draft-07, AMQP bindings, and `x-evreg-*` for what AsyncAPI cannot say.
//!
//! Payload schemas are carried with `schemaFormat:
//! application/schema+json;version=draft-07`, the JSON Schema dialect every
//! AsyncAPI 3.0 parser validates. A 2019-09/2020-12 or draft-04 schema is
//! converted where the conversion is exact (`prefixItems` → `items` array,
//! `dependentRequired`/`dependentSchemas` → `dependencies`, a `$ref` with
//! siblings → `allOf`, draft-04's boolean `exclusiveMaximum`); a keyword
//! draft-07 cannot express (`unevaluatedProperties`, `minContains`,
//! `$dynamicRef`) is an error naming its place, never silently dropped. Every
//! document a message reaches is bundled under `components/schemas` and its
//! references rewritten to JSON pointers into the AsyncAPI document, so a
//! parser never fetches anything.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalog::Catalog;
use crate::routing::RoutingKey;
use crate::schema::{Dialect, SchemaSet, escape_pointer};
use crate::topology::Plan;

/// The format payload schemas are carried in.
pub const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-07";
const AMQP_BINDING_VERSION: &str = "0.3.0";

/// Why a document could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {pointer}: {message}")]
pub struct AsyncApiError {
    /// `routing.key vN`, or the service.
    pub subject: String,
    /// The place in the schema document (`file#/pointer`).
    pub pointer: String,
    pub message: String,
}

/// Keywords whose value is one schema.
const ONE: [&str; 12] = [
    "additionalItems",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
    "items",
];
/// Keywords whose value is an array of schemas.
const MANY: [&str; 5] = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value maps names to schemas.
const MAP: [&str; 6] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
];
/// What draft-07 cannot express.
const NOT_IN_DRAFT7: [&str; 6] = [
    "unevaluatedProperties",
    "unevaluatedItems",
    "minContains",
    "maxContains",
    "$dynamicRef",
    "$recursiveRef",
];

struct Bundler<'a> {
    subject: &'a str,
    /// Document URI → its key under `components/schemas`.
    keys: &'a mut BTreeMap<String, String>,
    schemas: &'a mut Map<String, Value>,
}

fn component_key(uri: &str, taken: &BTreeMap<String, String>) -> String {
    if let Some(m) = uri.strip_prefix("evreg:message/") {
        return format!("message.{}", m.replace('/', "."));
    }
    let stem = uri
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("schema")
        .trim_end_matches(".json");
    let parent = uri
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .nth(1)
        .unwrap_or_default();
    let raw = if parent.is_empty() {
        stem.to_owned()
    } else {
        format!("{parent}.{stem}")
    };
    let base: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut key = base.clone();
    let mut n = 2;
    while taken.values().any(|k| *k == key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    key
}

impl Bundler<'_> {
    fn err(&self, doc: &str, pointer: &str, message: impl Into<String>) -> AsyncApiError {
        AsyncApiError {
            subject: self.subject.to_owned(),
            pointer: format!("{doc}#{pointer}"),
            message: message.into(),
        }
    }

    /// Bundles every document of `set`; answers the root's key.
    fn bundle(&mut self, set: &SchemaSet) -> Result<String, AsyncApiError> {
        let docs: Vec<(String, Value)> = set
            .documents()
            .map(|(u, v)| (u.to_owned(), v.clone()))
            .collect();
        let mut fresh = Vec::new();
        for (i, (uri, _)) in docs.iter().enumerate() {
            if !self.keys.contains_key(uri) {
                let key = component_key(uri, self.keys);
                self.keys.insert(uri.clone(), key);
                fresh.push(i);
            }
        }
        // Rewrite references to pointers into the AsyncAPI document.
        let mut copies: BTreeMap<usize, Value> =
            fresh.iter().map(|i| (*i, docs[*i].1.clone())).collect();
        for r in set.references() {
            let Some(copy) = copies.get_mut(&r.at.doc) else {
                continue;
            };
            let (doc_uri, _) = &docs[r.at.doc];
            if r.keyword != "$ref" {
                return Err(self.err(
                    doc_uri,
                    &r.at.pointer,
                    format!("{} cannot be expressed in draft-07", r.keyword),
                ));
            }
            let target = set
                .resolve(&r.at, &r.reference)
                .map_err(|e| self.err(doc_uri, &r.at.pointer, e.to_string()))?;
            let key = &self.keys[set.doc_uri(target.doc)];
            let rewritten = format!(
                "#/components/schemas/{}{}",
                escape_pointer(key),
                target.pointer
            );
            if let Some(obj) = copy
                .pointer_mut(&r.at.pointer)
                .and_then(Value::as_object_mut)
            {
                obj.insert("$ref".into(), Value::String(rewritten));
            }
        }
        for (i, mut copy) in copies {
            let (uri, _) = &docs[i];
            let dialect = set.dialect(i);
            self.convert(uri, "", &mut copy, dialect)?;
            self.schemas.insert(self.keys[uri].clone(), copy);
        }
        Ok(self.keys[set.doc_uri(0)].clone())
    }

    /// Rewrites one schema object (and those below it) as draft-07.
    fn convert(&self, doc: &str, at: &str, v: &mut Value, d: Dialect) -> Result<(), AsyncApiError> {
        let Value::Object(obj) = v else {
            return Ok(());
        };
        for k in NOT_IN_DRAFT7 {
            if obj.contains_key(k)
                && !matches!(d, Dialect::Draft4 | Dialect::Draft6 | Dialect::Draft7)
            {
                return Err(self.err(
                    doc,
                    &format!("{at}/{k}"),
                    format!("{k} has no draft-07 equivalent, so this schema cannot be carried faithfully"),
                ));
            }
        }
        for k in [
            "$id",
            "$schema",
            "$anchor",
            "$dynamicAnchor",
            "$recursiveAnchor",
            "$vocabulary",
        ] {
            obj.remove(k);
        }
        match d {
            Dialect::Draft4 => {
                obj.remove("id");
                for (flag, bound) in [
                    ("exclusiveMaximum", "maximum"),
                    ("exclusiveMinimum", "minimum"),
                ] {
                    match obj.get(flag) {
                        Some(Value::Bool(true)) => {
                            let b = obj.remove(bound).unwrap_or(Value::Null);
                            obj.insert(flag.into(), b);
                        }
                        Some(Value::Bool(false)) => {
                            obj.remove(flag);
                        }
                        _ => {}
                    }
                }
            }
            Dialect::Draft201909 | Dialect::Draft202012 => {
                if let Some(prefix) = obj.remove("prefixItems") {
                    if let Some(rest) = obj.remove("items") {
                        obj.insert("additionalItems".into(), rest);
                    }
                    obj.insert("items".into(), prefix);
                }
                let mut deps = Map::new();
                for k in ["dependentRequired", "dependentSchemas"] {
                    if let Some(Value::Object(m)) = obj.remove(k) {
                        deps.extend(m);
                    }
                }
                if !deps.is_empty() {
                    obj.insert("dependencies".into(), Value::Object(deps));
                }
                if obj.len() > 1
                    && let Some(r) = obj.remove("$ref")
                {
                    // Draft-07 ignores a `$ref`'s siblings; 2019-09 applies both.
                    let mut all = match obj.remove("allOf") {
                        Some(Value::Array(a)) => a,
                        _ => Vec::new(),
                    };
                    all.insert(0, json!({"$ref": r}));
                    obj.insert("allOf".into(), Value::Array(all));
                }
            }
            _ => {}
        }
        let keys: Vec<String> = obj.keys().cloned().collect();
        for k in keys {
            let here = format!("{at}/{}", escape_pointer(&k));
            let child = obj.get_mut(&k).expect("listed");
            if MAP.contains(&k.as_str()) {
                if let Value::Object(m) = child {
                    for (name, s) in m.iter_mut() {
                        if s.is_object() || s.is_boolean() {
                            let p = format!("{here}/{}", escape_pointer(name));
                            self.convert(doc, &p, s, d)?;
                        }
                    }
                }
            } else if MANY.contains(&k.as_str()) && child.is_array() {
                for (i, s) in child.as_array_mut().expect("array").iter_mut().enumerate() {
                    self.convert(doc, &format!("{here}/{i}"), s, d)?;
                }
            } else if ONE.contains(&k.as_str()) {
                self.convert(doc, &here, child, d)?;
            }
        }
        Ok(())
    }
}

fn amqp(v: Value) -> Value {
    let mut v = v;
    v["bindingVersion"] = AMQP_BINDING_VERSION.into();
    json!({ "amqp": v })
}

/// The AsyncAPI 3.0 document of `service` (a name in `evreg.toml`'s
/// `[[services]]`): what it sends (a channel per routing key it produces,
/// with the exchange) and what it receives (a channel per queue it
/// consumes, with every message that reaches the queue).
pub fn document(catalog: &Catalog, service: &str, vhost: &str) -> Result<Value, AsyncApiError> {
    let config = &catalog.config;
    let Some(svc) = config.services.iter().find(|s| s.name == service) else {
        let known: Vec<&str> = config.services.iter().map(|s| s.name.as_str()).collect();
        return Err(AsyncApiError {
            subject: service.to_owned(),
            pointer: "evreg.toml#/services".into(),
            message: format!("no such service (known: {})", known.join(", ")),
        });
    };
    let plan = Plan::from_config(config);
    let mut keys = BTreeMap::new();
    let mut schemas = Map::new();
    let mut messages = Map::new();
    // One message per routing key version, whole (envelope and payload).
    let mut message_of = |key: &str, version: u32| -> Result<String, AsyncApiError> {
        let id = format!("{key}.v{version}");
        if messages.contains_key(&id) {
            return Ok(id);
        }
        let subject = format!("{key} v{version}");
        let set = catalog
            .message(key, version)
            .expect("listed")
            .map_err(|e| AsyncApiError {
                subject: subject.clone(),
                pointer: String::new(),
                message: e.to_string(),
            })?;
        let root = Bundler {
            subject: &subject,
            keys: &mut keys,
            schemas: &mut schemas,
        }
        .bundle(&set)?;
        let payload_doc = catalog.payloads[&(key.to_owned(), version)].document(0);
        let mut m = json!({
            "name": id,
            "title": format!("{key} v{version}"),
            "contentType": "application/json",
            "payload": {
                "schemaFormat": SCHEMA_FORMAT,
                "schema": {"$ref": format!("#/components/schemas/{}", escape_pointer(&root))},
            },
            "bindings": amqp(json!({"messageType": key})),
            "x-evreg-routing-key": key,
            "x-evreg-version": format!("v{version}"),
        });
        if let Some(d) = payload_doc.get("description").and_then(Value::as_str) {
            m["summary"] = d.into();
        }
        messages.insert(id.clone(), m);
        Ok(id)
    };
    let mut channels = Map::new();
    let mut operations = Map::new();
    for key in &svc.produces {
        let k = key.as_str();
        let mut ch_messages = Map::new();
        for v in catalog.versions(k) {
            let id = message_of(k, v)?;
            ch_messages.insert(
                format!("v{v}"),
                json!({"$ref": format!("#/components/messages/{id}")}),
            );
        }
        let exchange = config.exchange_of(key).unwrap_or_default();
        let kind = config
            .exchanges
            .iter()
            .find(|e| e.name == exchange)
            .map_or("topic", |e| e.kind.as_str());
        let refs: Vec<Value> = ch_messages
            .keys()
            .map(|m| json!({"$ref": format!("#/channels/{k}/messages/{m}")}))
            .collect();
        channels.insert(
            k.to_owned(),
            json!({
                "address": k,
                "title": format!("{k} on {exchange}"),
                "messages": ch_messages,
                "bindings": amqp(json!({"is": "routingKey", "exchange": {
                    "name": exchange, "type": kind, "durable": true, "autoDelete": false, "vhost": vhost}})),
            }),
        );
        operations.insert(
            format!("send.{k}"),
            json!({
                "action": "send",
                "channel": {"$ref": format!("#/channels/{k}")},
                "messages": refs,
                "bindings": amqp(json!({"deliveryMode": 2, "mandatory": true})),
            }),
        );
    }
    let produced: Vec<String> = config
        .services
        .iter()
        .flat_map(|s| s.produces.iter().map(|k| k.as_str().to_owned()))
        .chain(catalog.payloads.keys().map(|(k, _)| k.clone()))
        .collect();
    for queue in &svc.consumes {
        let reaching: Vec<&str> = {
            let mut ks: Vec<&str> = produced.iter().map(String::as_str).collect();
            ks.sort_unstable();
            ks.dedup();
            ks.into_iter()
                .filter(|k| {
                    RoutingKey::new(k).is_ok_and(|rk| {
                        config.routes(&rk).iter().any(|r| r.queue == queue.as_str())
                    })
                })
                .collect()
        };
        let mut ch_messages = Map::new();
        for k in &reaching {
            for v in catalog.versions(k) {
                let id = message_of(k, v)?;
                ch_messages.insert(
                    id.clone(),
                    json!({"$ref": format!("#/components/messages/{id}")}),
                );
            }
        }
        let channel = format!("queue.{queue}");
        let refs: Vec<Value> = ch_messages
            .keys()
            .map(|m| json!({"$ref": format!("#/channels/{}/messages/{}", escape_pointer(&channel), escape_pointer(m))}))
            .collect();
        let policy = plan.policy(queue);
        let q = config.queues.iter().find(|q| q.name == *queue);
        let patterns: Vec<Value> = plan
            .bindings_to(queue)
            .map(|b| json!({"exchange": b.exchange, "pattern": b.pattern}))
            .collect();
        channels.insert(
            channel.clone(),
            json!({
                "address": queue,
                "title": format!("queue {queue}"),
                "messages": ch_messages,
                "bindings": amqp(json!({"is": "queue", "queue": {
                    "name": queue, "durable": q.is_none_or(|q| q.durable), "exclusive": false,
                    "autoDelete": false, "vhost": vhost}})),
                "x-evreg-binding-patterns": patterns,
                "x-evreg-queue-type": q.map_or("quorum", |q| q.kind.as_str()),
                "x-evreg-dead-letter-queue": policy.map(|p| p.dead_letter_queue.clone()),
                "x-evreg-retry": policy.map(|p| json!({
                    "max_deliveries": p.max_deliveries,
                    "delays_ms": p.waits.iter().map(|w| w.0).collect::<Vec<_>>(),
                    "handler_timeout_ms": p.handler_timeout_ms,
                })),
            }),
        );
        operations.insert(
            format!("receive.{queue}"),
            json!({
                "action": "receive",
                "channel": {"$ref": format!("#/channels/{}", escape_pointer(&channel))},
                "messages": refs,
                "bindings": amqp(json!({"ack": true})),
            }),
        );
    }
    Ok(json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": format!("{service} events"),
            "version": "1.0.0",
            "description": format!(
                "What the {service} service sends and receives through RabbitMQ, written by evreg from evreg.toml and the registered schemas. Payload schemas are whole messages (envelope and payload) in JSON Schema draft-07."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(payload: Value) -> Catalog {
        let config = r#"
[[exchanges]]
name = "auth.events"
[[queues]]
name = "audit.all"
[[bindings]]
exchange = "auth.events"
queue = "audit.all"
pattern = "auth.#"
[[services]]
name = "auth"
produces = ["auth.user.created"]
[[services]]
name = "audit"
consumes = ["audit.all"]
"#;
        let set = SchemaSet::new("file:///s/auth.user.created/v1.json", payload).expect("set");
        Catalog {
            envelope: None,
            payloads: BTreeMap::from([(("auth.user.created".to_owned(), 1), set)]),
            config: crate::config::RegistryConfig::parse(config).expect("config"),
            config_text: config.to_owned(),
        }
    }

    #[test]
    fn converts_2020_12_to_draft_07_and_rewrites_references() {
        let c = catalog(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"id": {"type": "string"}},
            "type": "object",
            "properties": {
                "id": {"$ref": "#/$defs/id", "minLength": 3},
                "pair": {"prefixItems": [{"type": "string"}], "items": false},
            },
            "dependentRequired": {"a": ["b"]},
        }));
        let doc = document(&c, "auth", "/").expect("document");
        let s = &doc["components"]["schemas"]["auth.user.created.v1"];
        assert_eq!(
            doc["components"]["messages"]["auth.user.created.v1"]["payload"]["schema"],
            json!({"$ref": "#/components/schemas/message.auth.user.created.v1"})
        );
        assert_eq!(
            s["properties"]["id"],
            json!({"allOf": [{"$ref": "#/components/schemas/auth.user.created.v1/$defs/id"}], "minLength": 3})
        );
        assert_eq!(
            s["properties"]["pair"],
            json!({"items": [{"type": "string"}], "additionalItems": false})
        );
        assert_eq!(s["dependencies"], json!({"a": ["b"]}));
        assert!(s.get("$schema").is_none());
        assert_eq!(
            doc["operations"]["send.auth.user.created"]["action"],
            "send"
        );
        let audit = document(&c, "audit", "/").expect("document");
        assert_eq!(
            audit["channels"]["queue.audit.all"]["x-evreg-retry"]["delays_ms"],
            json!([2000, 4000])
        );
        assert_eq!(
            audit["operations"]["receive.audit.all"]["action"],
            "receive"
        );
    }

    #[test]
    fn refuses_what_draft_07_cannot_say() {
        let c = catalog(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "properties": {"a": {"unevaluatedProperties": false}},
        }));
        let e = document(&c, "auth", "/").expect_err("not faithful");
        assert!(e.to_string().contains("#/properties/a/unevaluatedProperties: unevaluatedProperties has no draft-07 equivalent"), "{e}");
    }
}
