//! The message catalog: every routing key's versions as schema sets, with the envelope and topology, in one JSON form that codegen embeds and the bus reads.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::config::RegistryConfig;
use crate::layout::SchemaDir;
use crate::schema::{SchemaError, SchemaSet, compose_message};

/// What a publisher or consumer validates against.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub envelope: Option<SchemaSet>,
    /// `(routing key, version number)` → the payload schema.
    pub payloads: BTreeMap<(String, u32), SchemaSet>,
    pub config: RegistryConfig,
    /// The `evreg.toml` text the config came from, so the JSON form carries it whole.
    pub config_text: String,
}

/// Why a catalog could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("catalog {pointer}: {message}")]
pub struct CatalogError {
    pub pointer: String,
    pub message: String,
}

fn bad(pointer: impl Into<String>, message: impl Into<String>) -> CatalogError {
    CatalogError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// A schema set as JSON: its documents in order (the first is the root) and its aliases.
pub fn set_to_json(set: &SchemaSet) -> Value {
    let docs: Vec<Value> = set
        .documents()
        .map(|(uri, doc)| json!({"uri": uri, "schema": doc}))
        .collect();
    let aliases: Vec<Value> = set
        .aliases()
        .iter()
        .map(|(uri, doc)| json!([uri, doc]))
        .collect();
    json!({"documents": docs, "aliases": aliases})
}

/// Reads back [`set_to_json`].
pub fn set_from_json(v: &Value, at: &str) -> Result<SchemaSet, CatalogError> {
    let docs = v
        .get("documents")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad(format!("{at}/documents"), "expected a non-empty array"))?;
    let mut set: Option<SchemaSet> = None;
    for (i, d) in docs.iter().enumerate() {
        let here = format!("{at}/documents/{i}");
        let uri = d
            .get("uri")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("{here}/uri"), "expected a string"))?;
        let schema = d
            .get("schema")
            .cloned()
            .ok_or_else(|| bad(format!("{here}/schema"), "expected a schema"))?;
        let added = match &mut set {
            None => SchemaSet::new(uri, schema).map(|s| set = Some(s)),
            Some(s) => s.add(uri, schema).map(|_| ()),
        };
        added.map_err(|e: SchemaError| bad(here, e.to_string()))?;
    }
    let mut set = set.expect("non-empty");
    for (i, a) in v
        .get("aliases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(uri), Some(doc)) = (a[0].as_str(), a[1].as_u64()) else {
            return Err(bad(
                format!("{at}/aliases/{i}"),
                "expected [uri, document index]",
            ));
        };
        if doc as usize >= docs.len() {
            return Err(bad(format!("{at}/aliases/{i}"), "no such document"));
        }
        set.alias(uri, doc as usize);
    }
    Ok(set)
}

impl Catalog {
    /// The catalog of a loaded schema directory (every version's schema loaded).
    pub fn from_schema_dir(dir: &SchemaDir) -> Catalog {
        let mut payloads = BTreeMap::new();
        for s in &dir.subjects {
            for v in &s.versions {
                if let Some(set) = &v.schema {
                    payloads.insert((s.key.as_str().to_owned(), v.number), set.clone());
                }
            }
        }
        Catalog {
            envelope: dir.envelope.clone(),
            payloads,
            config: dir.config.clone(),
            config_text: dir.config_text.clone(),
        }
    }

    /// The whole message schema (envelope and payload) of a routing key's version.
    pub fn message(&self, key: &str, version: u32) -> Option<Result<SchemaSet, SchemaError>> {
        let payload = self.payloads.get(&(key.to_owned(), version))?;
        Some(compose_message(
            self.envelope.as_ref(),
            key,
            version,
            payload,
        ))
    }

    /// The versions known for a routing key, ascending.
    pub fn versions(&self, key: &str) -> Vec<u32> {
        self.payloads
            .keys()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| *v)
            .collect()
    }

    pub fn to_json(&self) -> Value {
        let mut subjects = serde_json::Map::new();
        for ((key, version), set) in &self.payloads {
            let entry = subjects
                .entry(key.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object");
            entry.insert(format!("v{version}"), set_to_json(set));
        }
        json!({
            "evreg_catalog": 1,
            "config": self.config_text,
            "envelope": self.envelope.as_ref().map(set_to_json),
            "subjects": subjects,
        })
    }

    pub fn from_json(v: &Value) -> Result<Catalog, CatalogError> {
        if v.get("evreg_catalog").and_then(Value::as_u64) != Some(1) {
            return Err(bad(
                "/evreg_catalog",
                "expected 1 (the catalog format version)",
            ));
        }
        let config_text = v
            .get("config")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("/config", "expected the evreg.toml text"))?;
        let config =
            RegistryConfig::parse(config_text).map_err(|e| bad("/config", e.to_string()))?;
        let envelope = match v.get("envelope") {
            None | Some(Value::Null) => None,
            Some(e) => Some(set_from_json(e, "/envelope")?),
        };
        let mut payloads = BTreeMap::new();
        let subjects = v
            .get("subjects")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("/subjects", "expected an object"))?;
        for (key, versions) in subjects {
            let at = format!("/subjects/{}", crate::schema::escape_pointer(key));
            let versions = versions
                .as_object()
                .ok_or_else(|| bad(&at, "expected an object of versions"))?;
            for (v, set) in versions {
                let n = v
                    .strip_prefix('v')
                    .and_then(|n| n.parse::<u32>().ok())
                    .ok_or_else(|| bad(&at, format!("{v:?} is not a version (v1, v2, …)")))?;
                payloads.insert((key.clone(), n), set_from_json(set, &format!("{at}/{v}"))?);
            }
        }
        Ok(Catalog {
            envelope,
            payloads,
            config,
            config_text: config_text.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_documents_and_aliases() {
        let mut payload = SchemaSet::new(
            "file:///s/a/v1.json",
            json!({"properties": {"x": {"$ref": "common.json"}}}),
        )
        .expect("set");
        let d = payload
            .add("file:///roots/common.json", json!({"type": "integer"}))
            .expect("add");
        payload.alias("file:///s/a/common.json", d);
        let c = Catalog {
            envelope: None,
            payloads: BTreeMap::from([(("a.b.c".to_owned(), 1), payload.clone())]),
            config: RegistryConfig::default(),
            config_text: String::new(),
        };
        let back = Catalog::from_json(&c.to_json()).expect("reads back");
        let set = &back.payloads[&("a.b.c".to_owned(), 1)];
        assert!(set.documents().eq(payload.documents()));
        assert_eq!(set.aliases(), payload.aliases());
        assert!(set.check_refs().is_ok());
        let err = Catalog::from_json(
            &json!({"evreg_catalog": 1, "config": "", "subjects": {"a": {"x1": {}}}}),
        )
        .expect_err("bad version");
        assert_eq!(
            err.to_string(),
            "catalog /subjects/a: \"x1\" is not a version (v1, v2, …)"
        );
    }
}
