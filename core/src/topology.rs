//! The RabbitMQ topology `evreg.toml` asks for: every exchange, queue (work, dead-letter, retry wait), argument and binding, its problems, its definitions-file form, and the drift between it and what a broker reports.
//!
//! Pure: the bus declares and probes, the CLI prints; the names, arguments,
//! headers and retry schedule are decided here once.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::config::{QueueType, RegistryConfig, Retry};

/// Header: which attempt this delivery is (1 for the first), set by evreg.
pub const ATTEMPT_HEADER: &str = "x-evreg-attempt";
/// Header: the routing key the event was published with, kept across wait and dead-letter queues.
pub const ROUTING_KEY_HEADER: &str = "x-evreg-routing-key";
/// Header: why a message is in a dead-letter queue (`failed`, `invalid`, `unhandled`, `redelivered`).
pub const REASON_HEADER: &str = "x-evreg-reason";
/// Header: the handler's or validator's error text.
pub const ERROR_HEADER: &str = "x-evreg-error";
/// Header: the work queue a dead letter came from, where replay sends it back.
pub const QUEUE_HEADER: &str = "x-evreg-queue";
/// Header: the event version, beside the message's `type` property (the routing key).
pub const VERSION_HEADER: &str = "x-evreg-version";

const DEFAULT_MAX_DELIVERIES: u32 = 3;
const DEFAULT_RETRY: Retry = Retry {
    initial_ms: 2000,
    multiplier: 2.0,
    max_ms: 10_000,
};
const DEFAULT_HANDLER_TIMEOUT_MS: u64 = 30_000;

/// A queue or exchange argument value, as AMQP field tables and the management API carry them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arg {
    Str(String),
    Int(i64),
}

impl Arg {
    pub fn to_json(&self) -> Value {
        match self {
            Arg::Str(s) => Value::from(s.as_str()),
            Arg::Int(i) => Value::from(*i),
        }
    }

    fn from_json(v: &Value) -> Option<Arg> {
        match v {
            Value::String(s) => Some(Arg::Str(s.clone())),
            Value::Number(n) => n.as_i64().map(Arg::Int),
            _ => None,
        }
    }
}

impl std::fmt::Display for Arg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Str(s) => write!(f, "{s:?}"),
            Arg::Int(i) => write!(f, "{i}"),
        }
    }
}

/// What a queue is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueRole {
    /// Consumers read events here.
    Work,
    /// Dead letters of a work queue.
    DeadLetter { of: String },
    /// Holds a failed event for `delay_ms`, then dead-letters it back to its work queue.
    Wait { of: String, delay_ms: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: String,
    pub role: QueueRole,
    pub durable: bool,
    pub kind: QueueType,
    /// Every `x-` argument, `x-queue-type` included.
    pub arguments: BTreeMap<String, Arg>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeSpec {
    pub name: String,
    pub kind: String,
    pub durable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BindingSpec {
    pub exchange: String,
    pub queue: String,
    pub pattern: String,
}

/// How a work queue's consumer retries and dead-letters.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub queue: String,
    pub dead_letter_queue: String,
    /// Attempts in all, the first included.
    pub max_deliveries: u32,
    /// `(delay, wait queue)` after attempt 1, 2, … `max_deliveries - 1`.
    pub waits: Vec<(u64, String)>,
    pub handler_timeout_ms: u64,
    pub kind: QueueType,
}

impl RetryPolicy {
    /// The wait queue a message enters after failing `attempt` (1-based); `None` after the last.
    pub fn wait_after(&self, attempt: u32) -> Option<&str> {
        if attempt >= self.max_deliveries {
            return None;
        }
        self.waits
            .get(attempt as usize - 1)
            .map(|(_, name)| name.as_str())
    }
}

/// Everything `evreg.toml` asks the broker to hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub vhost: Option<String>,
    pub exchanges: Vec<ExchangeSpec>,
    pub queues: Vec<QueueSpec>,
    pub bindings: Vec<BindingSpec>,
    pub policies: Vec<RetryPolicy>,
}

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// RabbitMQ would refuse it, or evreg could not run it.
    Error,
    /// RabbitMQ accepts it, but it is likely a mistake.
    Warning,
}

/// Something wrong with the topology of an `evreg.toml`: the entry and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The entry, as a TOML path: `queues[2].dead_letter_queue`.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{s}: {}: {}", self.field, self.message)
    }
}

/// The delays between attempts: `initial`, then times `multiplier`, capped at `max`.
pub fn retry_delays(retry: &Retry, max_deliveries: u32) -> Vec<u64> {
    let mut out = Vec::new();
    let mut d = retry.initial_ms as f64;
    for _ in 1..max_deliveries {
        out.push((d.round() as u64).min(retry.max_ms));
        d *= retry.multiplier;
    }
    out
}

fn args(pairs: &[(&str, Arg)]) -> BTreeMap<String, Arg> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn s(v: &str) -> Arg {
    Arg::Str(v.to_owned())
}

impl Plan {
    /// The plan of a parsed `evreg.toml` (already cross-checked by its parser).
    pub fn from_config(config: &RegistryConfig) -> Plan {
        let exchanges = config
            .exchanges
            .iter()
            .map(|e| ExchangeSpec {
                name: e.name.clone(),
                kind: e.kind.clone(),
                durable: e.durable,
            })
            .collect();
        let mut queues = Vec::new();
        let mut policies = Vec::new();
        for q in &config.queues {
            let kind = q.kind;
            let dlq = q
                .dead_letter_queue
                .clone()
                .unwrap_or_else(|| format!("{}.dlq", q.name));
            let max = q.max_deliveries.unwrap_or(DEFAULT_MAX_DELIVERIES).max(1);
            let retry = q.retry.as_ref().unwrap_or(&DEFAULT_RETRY);
            let typed = |mut a: BTreeMap<String, Arg>| {
                a.insert("x-queue-type".into(), s(kind.as_str()));
                a
            };
            // A quorum queue dead-letters losslessly only with at-least-once,
            // which RabbitMQ allows only beside reject-publish.
            let lossless = |mut a: BTreeMap<String, Arg>| {
                if kind == QueueType::Quorum {
                    a.insert("x-dead-letter-strategy".into(), s("at-least-once"));
                    a.insert("x-overflow".into(), s("reject-publish"));
                }
                a
            };
            let mut work = args(&[
                ("x-dead-letter-exchange", s("")),
                ("x-dead-letter-routing-key", s(&dlq)),
            ]);
            if kind == QueueType::Quorum {
                // A backstop for consumers that crash mid-handler: evreg's own
                // retries republish, so only crashes redeliver.
                work.insert("x-delivery-limit".into(), Arg::Int(i64::from(max)));
            }
            queues.push(QueueSpec {
                name: q.name.clone(),
                role: QueueRole::Work,
                durable: q.durable,
                kind,
                arguments: typed(lossless(work)),
            });
            queues.push(QueueSpec {
                name: dlq.clone(),
                role: QueueRole::DeadLetter { of: q.name.clone() },
                durable: q.durable,
                kind,
                arguments: typed(BTreeMap::new()),
            });
            let mut waits: Vec<(u64, String)> = Vec::new();
            for delay in retry_delays(retry, max) {
                let name = format!("{}.retry.{delay}ms", q.name);
                if !waits.iter().any(|(_, n)| *n == name) {
                    queues.push(QueueSpec {
                        name: name.clone(),
                        role: QueueRole::Wait {
                            of: q.name.clone(),
                            delay_ms: delay,
                        },
                        durable: q.durable,
                        kind,
                        arguments: typed(lossless(args(&[
                            ("x-message-ttl", Arg::Int(delay as i64)),
                            ("x-dead-letter-exchange", s("")),
                            ("x-dead-letter-routing-key", s(&q.name)),
                        ]))),
                    });
                }
                waits.push((delay, name));
            }
            policies.push(RetryPolicy {
                queue: q.name.clone(),
                dead_letter_queue: dlq,
                max_deliveries: max,
                waits,
                handler_timeout_ms: q.handler_timeout_ms.unwrap_or(DEFAULT_HANDLER_TIMEOUT_MS),
                kind,
            });
        }
        let bindings = config
            .bindings
            .iter()
            .map(|b| BindingSpec {
                exchange: b.exchange.clone(),
                queue: b.queue.clone(),
                pattern: b.pattern.as_str().to_owned(),
            })
            .collect();
        Plan {
            vhost: config.vhost.clone(),
            exchanges,
            queues,
            bindings,
            policies,
        }
    }

    /// The retry policy of a work queue.
    pub fn policy(&self, queue: &str) -> Option<&RetryPolicy> {
        self.policies.iter().find(|p| p.queue == queue)
    }

    pub fn queue(&self, name: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The work queue whose dead letters `dlq` holds.
    pub fn work_queue_of_dlq(&self, dlq: &str) -> Option<&RetryPolicy> {
        self.policies.iter().find(|p| p.dead_letter_queue == dlq)
    }

    /// The bindings of the file's exchanges to a queue.
    pub fn bindings_to<'a>(&'a self, queue: &'a str) -> impl Iterator<Item = &'a BindingSpec> {
        self.bindings.iter().filter(move |b| b.queue == queue)
    }

    /// The file's errors and warnings, each naming its entry.
    pub fn problems(config: &RegistryConfig) -> Vec<Problem> {
        let mut out = Vec::new();
        let plan = Plan::from_config(config);
        let mut owner: BTreeMap<&str, String> = BTreeMap::new();
        for (i, q) in config.queues.iter().enumerate() {
            if let Some(prev) = owner.insert(&q.name, format!("queues[{i}].name")) {
                out.push(Problem {
                    severity: Severity::Error,
                    field: format!("queues[{i}].name"),
                    message: format!("queue {:?} is already declared by {prev}", q.name),
                });
            }
        }
        for (i, q) in config.queues.iter().enumerate() {
            let p = &plan.policies[i];
            let field = if q.dead_letter_queue.is_some() {
                format!("queues[{i}].dead_letter_queue")
            } else {
                format!("queues[{i}].name")
            };
            if let Some(other) = owner.get(p.dead_letter_queue.as_str()) {
                out.push(Problem {
                    severity: Severity::Error,
                    field: field.clone(),
                    message: format!(
                        "dead-letter queue {:?} is also a work queue ({other}); dead letters would be consumed as events",
                        p.dead_letter_queue
                    ),
                });
            }
            for (_, wait) in &p.waits {
                if let Some(other) = owner.get(wait.as_str()) {
                    out.push(Problem {
                        severity: Severity::Error,
                        field: format!("queues[{i}].retry"),
                        message: format!(
                            "retry wait queue {wait:?} is also a work queue ({other})"
                        ),
                    });
                }
            }
            if q.retry
                .as_ref()
                .is_some_and(|r| r.initial_ms == 0 || r.max_ms < r.initial_ms || r.multiplier < 1.0)
            {
                out.push(Problem {
                    severity: Severity::Error,
                    field: format!("queues[{i}].retry"),
                    message: "expected initial_ms > 0, max_ms >= initial_ms and multiplier >= 1"
                        .into(),
                });
            }
            if q.max_deliveries == Some(0) {
                out.push(Problem {
                    severity: Severity::Error,
                    field: format!("queues[{i}].max_deliveries"),
                    message: "expected at least 1 (the first attempt counts)".into(),
                });
            }
        }
        for (i, e) in config.exchanges.iter().enumerate() {
            if !matches!(e.kind.as_str(), "topic" | "direct" | "fanout" | "headers") {
                out.push(Problem {
                    severity: Severity::Error,
                    field: format!("exchanges[{i}].type"),
                    message: format!(
                        "expected topic, direct, fanout or headers, found {:?}",
                        e.kind
                    ),
                });
            }
        }
        for (i, b) in config.bindings.iter().enumerate() {
            let p = b.pattern.as_str();
            if !p.is_empty() && p.split('.').any(str::is_empty) {
                out.push(Problem {
                    severity: Severity::Warning,
                    field: format!("bindings[{i}].pattern"),
                    message: format!(
                        "{p:?} has an empty word (a leading, trailing or doubled `.`); it matches only keys with the same empty word"
                    ),
                });
            }
            let hashes = b.pattern.hash_words();
            if hashes > crate::routing::MAX_HASH_WORDS {
                out.push(Problem {
                    severity: Severity::Warning,
                    field: format!("bindings[{i}].pattern"),
                    message: format!(
                        "{p:?} has {hashes} `#` words; RabbitMQ 4.3.5 and later refuse more than two"
                    ),
                });
            }
        }
        let produced: Vec<&crate::RoutingKey> =
            config.services.iter().flat_map(|s| &s.produces).collect();
        for (i, s) in config.services.iter().enumerate() {
            for (j, q) in s.consumes.iter().enumerate() {
                let reached = produced
                    .iter()
                    .any(|k| config.routes(k).iter().any(|r| r.queue == q.as_str()));
                if !reached && !produced.is_empty() {
                    out.push(Problem {
                        severity: Severity::Warning,
                        field: format!("services[{i}].consumes[{j}]"),
                        message: format!(
                            "service {:?} consumes {q:?}, but no binding of that queue matches a routing key any service produces",
                            s.name
                        ),
                    });
                }
            }
        }
        out
    }

    /// A RabbitMQ definitions file (`rabbitmqctl import_definitions`, or
    /// `POST /api/definitions`) holding the plan in `vhost`.
    pub fn definitions(&self, vhost: &str) -> Value {
        let exchanges: Vec<Value> = self
            .exchanges
            .iter()
            .map(|e| {
                json!({"name": e.name, "vhost": vhost, "type": e.kind, "durable": e.durable,
                       "auto_delete": false, "internal": false, "arguments": {}})
            })
            .collect();
        let queues: Vec<Value> = self
            .queues
            .iter()
            .map(|q| {
                let a: serde_json::Map<String, Value> = q
                    .arguments
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                json!({"name": q.name, "vhost": vhost, "durable": q.durable,
                       "auto_delete": false, "arguments": a})
            })
            .collect();
        let bindings: Vec<Value> = self
            .bindings
            .iter()
            .map(|b| {
                json!({"source": b.exchange, "vhost": vhost, "destination": b.queue,
                       "destination_type": "queue", "routing_key": b.pattern, "arguments": {}})
            })
            .collect();
        json!({
            "vhosts": [{"name": vhost}],
            "exchanges": exchanges,
            "queues": queues,
            "bindings": bindings,
        })
    }
}

/// One difference between the plan and the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing {
        kind: &'static str,
        name: String,
    },
    /// A binding of one of the file's exchanges that the file does not declare.
    Extra {
        kind: &'static str,
        name: String,
    },
    Different {
        kind: &'static str,
        name: String,
        what: String,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing { kind, name } => write!(f, "missing {kind} {name}"),
            Drift::Extra { kind, name } => write!(f, "extra {kind} {name}"),
            Drift::Different { kind, name, what } => write!(f, "different {kind} {name}: {what}"),
        }
    }
}

fn binding_name(b: &BindingSpec) -> String {
    format!("{} -> {} ({:?})", b.exchange, b.queue, b.pattern)
}

/// Compares the plan with the management API's `/api/exchanges/{vhost}`,
/// `/api/queues/{vhost}` and `/api/bindings/{vhost}` answers: every object,
/// argument and binding.
pub fn drift_from_management(
    plan: &Plan,
    exchanges: &Value,
    queues: &Value,
    bindings: &Value,
) -> Vec<Drift> {
    let by_name = |v: &Value| -> BTreeMap<String, Value> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| Some((o.get("name")?.as_str()?.to_owned(), o.clone())))
            .collect()
    };
    let (ex, qs) = (by_name(exchanges), by_name(queues));
    let mut out = Vec::new();
    for e in &plan.exchanges {
        match ex.get(&e.name) {
            None => out.push(Drift::Missing {
                kind: "exchange",
                name: e.name.clone(),
            }),
            Some(o) => {
                let kind = o.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind != e.kind {
                    out.push(Drift::Different {
                        kind: "exchange",
                        name: e.name.clone(),
                        what: format!("type is {kind:?}, the file says {:?}", e.kind),
                    });
                }
                let durable = o.get("durable").and_then(Value::as_bool).unwrap_or(false);
                if durable != e.durable {
                    out.push(Drift::Different {
                        kind: "exchange",
                        name: e.name.clone(),
                        what: format!("durable is {durable}, the file says {}", e.durable),
                    });
                }
                if let Some(what) = policy_drift(o) {
                    out.push(Drift::Different {
                        kind: "exchange",
                        name: e.name.clone(),
                        what,
                    });
                }
            }
        }
    }
    for q in &plan.queues {
        let Some(o) = qs.get(&q.name) else {
            out.push(Drift::Missing {
                kind: "queue",
                name: q.name.clone(),
            });
            continue;
        };
        let durable = o.get("durable").and_then(Value::as_bool).unwrap_or(false);
        if durable != q.durable {
            out.push(Drift::Different {
                kind: "queue",
                name: q.name.clone(),
                what: format!("durable is {durable}, the file says {}", q.durable),
            });
        }
        let mut have: BTreeMap<String, Arg> = o
            .get("arguments")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), Arg::from_json(v)?)))
            .collect();
        // The management API reports the type beside the arguments too; a
        // queue declared without `x-queue-type` is classic.
        if let Some(t) = o.get("type").and_then(Value::as_str) {
            have.entry("x-queue-type".into()).or_insert(s(t));
        }
        for d in argument_drift(&q.arguments, &have)
            .into_iter()
            .chain(policy_drift(o))
        {
            out.push(Drift::Different {
                kind: "queue",
                name: q.name.clone(),
                what: d,
            });
        }
    }
    let want: BTreeSet<&BindingSpec> = plan.bindings.iter().collect();
    let mut seen: BTreeSet<BindingSpec> = BTreeSet::new();
    for b in bindings.as_array().into_iter().flatten() {
        let get = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or_default();
        if get("destination_type") != "queue" {
            continue;
        }
        seen.insert(BindingSpec {
            exchange: get("source").to_owned(),
            queue: get("destination").to_owned(),
            pattern: get("routing_key").to_owned(),
        });
    }
    for b in &plan.bindings {
        if !seen.contains(b) {
            out.push(Drift::Missing {
                kind: "binding",
                name: binding_name(b),
            });
        }
    }
    let ours: BTreeSet<&str> = plan.exchanges.iter().map(|e| e.name.as_str()).collect();
    for b in &seen {
        if ours.contains(b.exchange.as_str()) && !want.contains(b) {
            out.push(Drift::Extra {
                kind: "binding",
                name: binding_name(b),
            });
        }
    }
    out
}

/// A policy (or operator policy) the broker applies to an object: the file
/// declares none, and a policy's `dead-letter-exchange`, `message-ttl` or
/// `delivery-limit` changes what a queue does as much as an argument would.
fn policy_drift(object: &Value) -> Option<String> {
    let name = |k: &str| {
        object
            .get(k)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
    };
    let names: Vec<String> = [("policy", "policy"), ("operator_policy", "operator policy")]
        .into_iter()
        .filter_map(|(k, label)| Some(format!("{label} {:?}", name(k)?)))
        .collect();
    if names.is_empty() {
        return None;
    }
    let applied = object
        .get("effective_policy_definition")
        .filter(|d| d.as_object().is_some_and(|m| !m.is_empty()))
        .map(|d| format!(" applies {d}"))
        .unwrap_or_else(|| " applies".to_owned());
    Some(format!(
        "{}{applied}; the file declares no policy",
        names.join(" and ")
    ))
}

/// The differences between the arguments the plan declares and those a queue has.
pub fn argument_drift(want: &BTreeMap<String, Arg>, have: &BTreeMap<String, Arg>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in want {
        match have.get(k) {
            None => out.push(format!("argument {k} is absent, the file says {v}")),
            Some(h) if h != v => out.push(format!("argument {k} is {h}, the file says {v}")),
            Some(_) => {}
        }
    }
    for (k, h) in have {
        if !want.contains_key(k) {
            out.push(format!("argument {k} is {h}, the file sets none"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_like() -> RegistryConfig {
        RegistryConfig::parse(
            r##"
[[exchanges]]
name = "auth.events"
[[queues]]
name = "catalog.auth.events"
max_deliveries = 3
retry = { initial_ms = 2000, multiplier = 2.0, max_ms = 10000 }
[[queues]]
name = "audit.all.events"
type = "classic"
dead_letter_queue = "audit.dead"
max_deliveries = 5
retry = { initial_ms = 2000, multiplier = 2.0, max_ms = 5000 }
[[bindings]]
exchange = "auth.events"
queue = "catalog.auth.events"
pattern = "auth.user.*"
[[bindings]]
exchange = "auth.events"
queue = "audit.all.events"
pattern = "#"
[[services]]
name = "auth"
produces = ["auth.user.created"]
[[services]]
name = "catalog"
consumes = ["catalog.auth.events"]
"##,
        )
        .expect("valid")
    }

    #[test]
    fn plans_work_dead_letter_and_wait_queues_with_their_arguments() {
        let plan = Plan::from_config(&seed_like());
        let names: Vec<&str> = plan.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "catalog.auth.events",
                "catalog.auth.events.dlq",
                "catalog.auth.events.retry.2000ms",
                "catalog.auth.events.retry.4000ms",
                "audit.all.events",
                "audit.dead",
                "audit.all.events.retry.2000ms",
                "audit.all.events.retry.4000ms",
                "audit.all.events.retry.5000ms",
            ]
        );
        let work = plan.queue("catalog.auth.events").expect("work");
        assert_eq!(work.arguments["x-queue-type"], s("quorum"));
        assert_eq!(work.arguments["x-delivery-limit"], Arg::Int(3));
        assert_eq!(work.arguments["x-dead-letter-strategy"], s("at-least-once"));
        assert_eq!(work.arguments["x-overflow"], s("reject-publish"));
        assert_eq!(
            work.arguments["x-dead-letter-routing-key"],
            s("catalog.auth.events.dlq")
        );
        let classic = plan.queue("audit.all.events").expect("classic");
        assert!(!classic.arguments.contains_key("x-delivery-limit"));
        assert!(!classic.arguments.contains_key("x-dead-letter-strategy"));
        let wait = plan
            .queue("catalog.auth.events.retry.4000ms")
            .expect("wait");
        assert_eq!(wait.arguments["x-message-ttl"], Arg::Int(4000));
        assert_eq!(
            wait.arguments["x-dead-letter-routing-key"],
            s("catalog.auth.events")
        );
        let p = plan.policy("audit.all.events").expect("policy");
        // 2 s, 4 s, then capped at 5 s: 4 waits for 5 attempts, 3 distinct queues.
        let delays: Vec<u64> = p.waits.iter().map(|w| w.0).collect();
        assert_eq!(delays, [2000, 4000, 5000, 5000]);
        assert_eq!(p.wait_after(1), Some("audit.all.events.retry.2000ms"));
        assert_eq!(p.wait_after(4), Some("audit.all.events.retry.5000ms"));
        assert_eq!(p.wait_after(5), None);
    }

    #[test]
    fn reports_errors_and_warnings_with_their_entry() {
        let mut c = seed_like();
        c.queues[1].dead_letter_queue = Some("catalog.auth.events".into());
        c.bindings[0].pattern = crate::BindingPattern::new("auth..user").expect("pattern");
        c.bindings[1].pattern = crate::BindingPattern::new("#.#.#").expect("pattern");
        let problems: Vec<String> = Plan::problems(&c).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            [
                "error: queues[1].dead_letter_queue: dead-letter queue \"catalog.auth.events\" is also a work queue (queues[0].name); dead letters would be consumed as events",
                "warning: bindings[0].pattern: \"auth..user\" has an empty word (a leading, trailing or doubled `.`); it matches only keys with the same empty word",
                "warning: bindings[1].pattern: \"#.#.#\" has 3 `#` words; RabbitMQ 4.3.5 and later refuse more than two",
                "warning: services[1].consumes[0]: service \"catalog\" consumes \"catalog.auth.events\", but no binding of that queue matches a routing key any service produces",
            ]
        );
        assert!(Plan::problems(&seed_like()).is_empty());
    }

    #[test]
    fn management_answers_show_each_drift() {
        let plan = Plan::from_config(&seed_like());
        let defs = plan.definitions("v");
        let (ex, qs, bs) = (&defs["exchanges"], &defs["queues"], &defs["bindings"]);
        assert_eq!(drift_from_management(&plan, ex, qs, bs), []);
        let mut qs2 = qs.clone();
        qs2[0]["arguments"]["x-delivery-limit"] = json!(20);
        qs2.as_array_mut().expect("array").remove(1);
        let mut bs2 = bs.clone();
        bs2.as_array_mut().expect("array").push(json!({"source": "auth.events",
            "destination": "catalog.auth.events", "destination_type": "queue", "routing_key": "auth.#"}));
        bs2.as_array_mut().expect("array").remove(0);
        qs2[1]["policy"] = json!("ttl");
        qs2[1]["effective_policy_definition"] = json!({"message-ttl": 1000});
        let drift: Vec<String> = drift_from_management(&plan, ex, &qs2, &bs2)
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            drift,
            [
                "different queue catalog.auth.events: argument x-delivery-limit is 20, the file says 3",
                "missing queue catalog.auth.events.dlq",
                "different queue catalog.auth.events.retry.2000ms: policy \"ttl\" applies {\"message-ttl\":1000}; the file declares no policy",
                "missing binding auth.events -> catalog.auth.events (\"auth.user.*\")",
                "extra binding auth.events -> catalog.auth.events (\"auth.#\")",
            ]
        );
    }
}
