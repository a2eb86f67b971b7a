//! `evreg.toml`: compatibility defaults, per-subject overrides and the RabbitMQ topology; parsed from text, never read from disk here.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::compat::{Mode, Policy};
use crate::routing::{BindingPattern, RoutingKey};

/// A parsed `evreg.toml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// The envelope schema file, relative to the schema directory.
    pub envelope: Option<String>,
    /// The RabbitMQ virtual host the topology lives in, unless the AMQP URL names one.
    pub vhost: Option<String>,
    /// Where references look beyond the files given (`DIR` or `URI=DIR`,
    /// relative to the schema directory), like `--schema-root`.
    #[serde(default)]
    pub schema_roots: Vec<String>,
    #[serde(default)]
    pub compatibility: CompatibilityConfig,
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    #[serde(default)]
    pub queues: Vec<Queue>,
    #[serde(default)]
    pub bindings: Vec<Binding>,
    #[serde(default)]
    pub services: Vec<Service>,
    /// Per-routing-key overrides.
    #[serde(default)]
    pub subjects: BTreeMap<String, SubjectConfig>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CompatibilityConfig {
    #[serde(default = "default_mode")]
    pub mode: Mode,
    #[serde(default = "default_policy")]
    pub policy: Policy,
}

fn default_mode() -> Mode {
    Mode::FullTransitive
}

fn default_policy() -> Policy {
    Policy::Lenient
}

impl Default for CompatibilityConfig {
    fn default() -> Self {
        CompatibilityConfig {
            mode: default_mode(),
            policy: default_policy(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SubjectConfig {
    pub mode: Option<Mode>,
    pub policy: Option<Policy>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    pub name: String,
    #[serde(rename = "type", default = "topic")]
    pub kind: String,
    #[serde(default = "yes")]
    pub durable: bool,
}

fn topic() -> String {
    "topic".to_owned()
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub name: String,
    #[serde(default = "yes")]
    pub durable: bool,
    /// `quorum` (the default) or `classic`.
    #[serde(rename = "type", default)]
    pub kind: QueueType,
    /// Where messages go after their last attempt; `<name>.dlq` when absent.
    pub dead_letter_queue: Option<String>,
    /// Attempts in all before the dead-letter queue; 3 when absent.
    pub max_deliveries: Option<u32>,
    /// The wait between attempts; 2 s doubling up to 10 s when absent.
    pub retry: Option<Retry>,
    /// How long a handler may run before the attempt counts as failed; 30 s when absent.
    pub handler_timeout_ms: Option<u64>,
}

/// The RabbitMQ queue type of a work queue and its dead-letter and wait queues.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    /// Replicated, with a delivery limit and lossless dead-lettering.
    #[default]
    Quorum,
    /// Single-node, for brokers or tests that want it.
    Classic,
}

impl QueueType {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueType::Quorum => "quorum",
            QueueType::Classic => "classic",
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    pub initial_ms: u64,
    pub multiplier: f64,
    pub max_ms: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    pub exchange: String,
    pub queue: String,
    pub pattern: BindingPattern,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    #[serde(default)]
    pub produces: Vec<RoutingKey>,
    /// Queue names the service consumes from.
    #[serde(default)]
    pub consumes: Vec<String>,
}

/// A queue that receives a routing key, and through which binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a> {
    pub exchange: &'a str,
    pub queue: &'a str,
    pub pattern: &'a BindingPattern,
    pub consumers: Vec<&'a str>,
}

/// Why an `evreg.toml` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Syntax(String),
    #[error("{field}: {message}")]
    Topology { field: String, message: String },
}

impl RegistryConfig {
    /// Parses and cross-checks the text of an `evreg.toml`.
    pub fn parse(text: &str) -> Result<RegistryConfig, ConfigError> {
        let config: RegistryConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let exchange = |name: &str| self.exchanges.iter().any(|e| e.name == name);
        let queue = |name: &str| self.queues.iter().any(|q| q.name == name);
        for (i, b) in self.bindings.iter().enumerate() {
            if !exchange(&b.exchange) {
                return Err(ConfigError::Topology {
                    field: format!("bindings[{i}].exchange"),
                    message: format!("no exchange named {:?} is declared", b.exchange),
                });
            }
            if !queue(&b.queue) {
                return Err(ConfigError::Topology {
                    field: format!("bindings[{i}].queue"),
                    message: format!("no queue named {:?} is declared", b.queue),
                });
            }
        }
        for (i, s) in self.services.iter().enumerate() {
            for (j, q) in s.consumes.iter().enumerate() {
                if !queue(q) {
                    return Err(ConfigError::Topology {
                        field: format!("services[{i}].consumes[{j}]"),
                        message: format!("no queue named {q:?} is declared"),
                    });
                }
            }
        }
        for key in self.subjects.keys() {
            RoutingKey::new(key).map_err(|e| ConfigError::Topology {
                field: format!("subjects.{key:?}"),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// The compatibility mode and policy in force for a routing key.
    pub fn compatibility_for(&self, key: &str) -> (Mode, Policy) {
        let over = self.subjects.get(key);
        (
            over.and_then(|s| s.mode).unwrap_or(self.compatibility.mode),
            over.and_then(|s| s.policy)
                .unwrap_or(self.compatibility.policy),
        )
    }

    /// The service that publishes a routing key, if one is declared.
    pub fn producer_of(&self, key: &RoutingKey) -> Option<&str> {
        self.services
            .iter()
            .find(|s| s.produces.contains(key))
            .map(|s| s.name.as_str())
    }

    /// The exchange a routing key is published to: its producer's exchange by
    /// the seed's convention `{service}.events`, if declared.
    pub fn exchange_of(&self, key: &RoutingKey) -> Option<&str> {
        let want = format!("{}.events", key.service());
        self.exchanges
            .iter()
            .find(|e| e.name == want)
            .map(|e| e.name.as_str())
    }

    /// Every (exchange, queue, binding) that routes `key`, with the services consuming that queue.
    pub fn routes(&self, key: &RoutingKey) -> Vec<Route<'_>> {
        let Some(exchange) = self.exchange_of(key) else {
            return Vec::new();
        };
        self.bindings
            .iter()
            .filter(|b| b.exchange == exchange && b.pattern.matches_key(key))
            .map(|b| Route {
                exchange: &b.exchange,
                queue: &b.queue,
                pattern: &b.pattern,
                consumers: self
                    .services
                    .iter()
                    .filter(|s| s.consumes.contains(&b.queue))
                    .map(|s| s.name.as_str())
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
envelope = "envelope.json"
[compatibility]
mode = "BACKWARD"
policy = "STRICT"
[[exchanges]]
name = "auth.events"
type = "topic"
[[queues]]
name = "catalog.auth.events"
[[bindings]]
exchange = "auth.events"
queue = "catalog.auth.events"
pattern = "auth.user.*"
[[services]]
name = "catalog"
consumes = ["catalog.auth.events"]
[subjects."auth.user.created"]
mode = "NONE"
"#;

    #[test]
    fn parses_and_routes() {
        let c = RegistryConfig::parse(TOML).expect("valid config");
        let key = RoutingKey::new("auth.user.deactivated").expect("key");
        let routes = c.routes(&key);
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].queue, "catalog.auth.events");
        assert_eq!(routes[0].consumers, vec!["catalog"]);
        assert!(
            c.routes(&RoutingKey::new("auth.role.updated").expect("key"))
                .is_empty()
        );
        assert_eq!(
            c.compatibility_for("auth.user.created"),
            (Mode::None, Policy::Strict)
        );
        assert_eq!(
            c.compatibility_for("auth.user.updated"),
            (Mode::Backward, Policy::Strict)
        );
    }

    #[test]
    fn refuses_dangling_names() {
        let bad = TOML.replace("queue = \"catalog.auth.events\"", "queue = \"nope\"");
        let err = RegistryConfig::parse(&bad).expect_err("dangling queue");
        assert_eq!(
            err.to_string(),
            "bindings[0].queue: no queue named \"nope\" is declared"
        );
        let err = RegistryConfig::parse("mode = 1").expect_err("unknown field");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
