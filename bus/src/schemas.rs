//! The compiled message validators of a catalog, and the envelope fields the bus fills in (event id, timestamp).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use evreg_core::catalog::Catalog;
use evreg_core::routing::RoutingKey;
use evreg_core::schema::Validator;
use evreg_core::topology::Plan;
use serde_json::Value;

use crate::{BusError, Result};

/// One place an event breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// JSON pointer into the event.
    pub pointer: String,
    pub message: String,
}

/// Why an event was refused before it was sent or handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {}", describe(.issues))]
pub struct Invalid {
    /// `routing.key vN`, or what could be read of it.
    pub subject: String,
    pub issues: Vec<Issue>,
}

fn describe(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| {
            let p = if i.pointer.is_empty() {
                "/"
            } else {
                &i.pointer
            };
            format!("{p}: {}", i.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn invalid(subject: impl Into<String>, pointer: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        subject: subject.into(),
        issues: vec![Issue {
            pointer: pointer.to_owned(),
            message: message.into(),
        }],
    }
}

/// Every message schema of a catalog, compiled once.
#[derive(Debug)]
pub struct Schemas {
    catalog: Catalog,
    plan: Plan,
    validators: HashMap<(String, u32), Validator>,
    id_prefix: String,
    seed: u64,
    counter: AtomicU64,
}

/// A routing key and version an event names, and whether the catalog knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub routing_key: String,
    pub version: u32,
}

impl Subject {
    pub fn version_text(&self) -> String {
        format!("v{}", self.version)
    }
}

impl Schemas {
    /// Compiles the message schema (envelope + payload) of every version in the catalog.
    pub fn new(catalog: Catalog) -> Result<Schemas> {
        let mut validators = HashMap::new();
        for (key, version) in catalog.payloads.keys() {
            let set = catalog
                .message(key, *version)
                .expect("listed")
                .map_err(|e| BusError::Config(format!("{key} v{version}: {e}")))?;
            let v = Validator::new(&set)
                .map_err(|e| BusError::Config(format!("{key} v{version}: {e}")))?;
            validators.insert((key.clone(), *version), v);
        }
        let id_prefix = catalog
            .envelope
            .as_ref()
            .and_then(|e| e.document(0).pointer("/properties/event_id/pattern"))
            .and_then(Value::as_str)
            .map(literal_prefix)
            .unwrap_or_else(|| "evt_".to_owned());
        let plan = Plan::from_config(&catalog.config);
        Ok(Schemas {
            catalog,
            plan,
            validators,
            id_prefix,
            seed: std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
            counter: AtomicU64::new(0),
        })
    }

    /// Like [`Schemas::new`], with the payloads taken from a registry
    /// instead of the catalog's own: every live version of every routing-key
    /// subject, with its references, fetched once now (blocking; call it
    /// before the runtime starts or in `spawn_blocking`). The registry going
    /// away afterwards does not stop publishing or consuming. The catalog
    /// still gives the envelope and `evreg.toml`.
    pub fn from_registry(
        mut catalog: Catalog,
        registry: &str,
        token: Option<String>,
    ) -> Result<Schemas> {
        let client =
            evreg_api::Registry::new(registry, token).map_err(|e| BusError::Config(e.0))?;
        catalog.payloads = client
            .routing_key_versions()
            .map_err(|e| BusError::Config(e.0))?;
        Schemas::new(catalog)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The topology the catalog's `evreg.toml` describes.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The exchange a routing key is published to.
    pub fn exchange_of(&self, routing_key: &str) -> Option<&str> {
        let key = RoutingKey::new(routing_key).ok()?;
        self.catalog.config.exchange_of(&key)
    }

    /// Reads `event_type` and `event_version` of a message.
    pub fn subject_of(message: &Value) -> Result<Subject, Invalid> {
        let key = message
            .get("event_type")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                invalid(
                    "message",
                    "/event_type",
                    "expected the routing key as a string",
                )
            })?;
        let version = message
            .get("event_version")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(key, "/event_version", "expected a version such as \"v1\""))?;
        let n = version
            .strip_prefix('v')
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                invalid(
                    key,
                    "/event_version",
                    format!("expected a version such as \"v1\", found {version:?}"),
                )
            })?;
        Ok(Subject {
            routing_key: key.to_owned(),
            version: n,
        })
    }

    /// Whether the catalog has a schema for this routing key and version.
    pub fn knows(&self, s: &Subject) -> bool {
        self.validators
            .contains_key(&(s.routing_key.clone(), s.version))
    }

    /// Validates a whole message against its routing key's version.
    pub fn check(&self, message: &Value) -> Result<Subject, Invalid> {
        let s = Schemas::subject_of(message)?;
        let name = format!("{} v{}", s.routing_key, s.version);
        let Some(v) = self.validators.get(&(s.routing_key.clone(), s.version)) else {
            let known = self.catalog.versions(&s.routing_key);
            let why = if known.is_empty() {
                "no schema for this routing key".to_owned()
            } else {
                let vs: Vec<String> = known.iter().map(|v| format!("v{v}")).collect();
                format!("no schema for this version (known: {})", vs.join(", "))
            };
            return Err(invalid(name, "/event_version", why));
        };
        let issues: Vec<Issue> = v
            .issues(message)
            .into_iter()
            .map(|i| Issue {
                pointer: i.instance_path,
                message: i.message,
            })
            .collect();
        if issues.is_empty() {
            Ok(s)
        } else {
            Err(Invalid {
                subject: name,
                issues,
            })
        }
    }

    /// A new event id: the literal prefix of the envelope's `event_id`
    /// pattern (`evt_`), then 22 letters and digits, unique per process and
    /// time-ordered.
    pub fn new_event_id(&self) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write_u64(self.seed);
        h.write_u64(n);
        let random = h.finish();
        let mut out = self.id_prefix.clone();
        for mut part in [nanos, random ^ n.rotate_left(32)] {
            let mut digits = [b'0'; 11];
            for d in digits.iter_mut().rev() {
                *d = ALPHABET[(part % 62) as usize];
                part /= 62;
            }
            out.extend(digits.iter().map(|b| *b as char));
        }
        out
    }
}

/// The literal text a pattern requires at its start (`^evt_[A-Za-z0-9]+$` → `evt_`).
fn literal_prefix(pattern: &str) -> String {
    let Some(p) = pattern.strip_prefix('^') else {
        return String::new();
    };
    let mut out = String::new();
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if "[(\\.*+?{|$)^".contains(c) {
            break;
        }
        // A quantifier after this character makes it optional or repeated.
        if chars.peek().is_some_and(|n| "*+?{".contains(*n)) {
            break;
        }
        out.push(c);
    }
    out
}

/// Now, as an RFC 3339 timestamp with a `Z` offset.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_take_the_pattern_prefix_and_differ() {
        assert_eq!(literal_prefix("^evt_[A-Za-z0-9]+$"), "evt_");
        assert_eq!(literal_prefix("^ab?c"), "a");
        assert_eq!(literal_prefix("[a-z]+"), "");
        let s = Schemas::new(Catalog {
            envelope: None,
            payloads: Default::default(),
            config: Default::default(),
            config_text: String::new(),
        })
        .expect("empty catalog");
        let (a, b) = (s.new_event_id(), s.new_event_id());
        assert_ne!(a, b);
        assert!(a.starts_with("evt_") && a.len() == 26, "{a}");
        assert!(a[4..].bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
    }
}
