//! Prometheus metrics of a service on the bus: events published and consumed by type, version and outcome, handler and end-to-end latency, backlog and dead letters per queue; served as text on a port the service picks.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evreg_core::topology::Plan;
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::amqp::Broker;
use crate::consume::Handled;
use crate::{BusError, Result};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Label pairs, in the order they are printed.
type Labels = Vec<(&'static str, String)>;

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// One metric family: its help text, type, and series.
struct Family {
    help: &'static str,
    kind: &'static str,
}

const FAMILIES: [(&str, Family); 7] = [
    (
        "evreg_events_published_total",
        Family {
            help: "Events published (validated and confirmed), by type and version.",
            kind: "counter",
        },
    ),
    (
        "evreg_publish_failures_total",
        Family {
            help: "Events not published, by type and reason (invalid, unroutable, nacked, broker).",
            kind: "counter",
        },
    ),
    (
        "evreg_events_consumed_total",
        Family {
            help: "Deliveries consumed, by queue, type, version and outcome (acked, retried, dead_lettered, invalid, unhandled, ignored).",
            kind: "counter",
        },
    ),
    (
        "evreg_handler_duration_seconds",
        Family {
            help: "Time in the handler, by queue and type.",
            kind: "histogram",
        },
    ),
    (
        "evreg_event_latency_seconds",
        Family {
            help: "From the envelope's timestamp to the end of handling, by queue and type.",
            kind: "histogram",
        },
    ),
    (
        "evreg_queue_messages",
        Family {
            help: "Messages ready in a work queue (backlog).",
            kind: "gauge",
        },
    ),
    (
        "evreg_dead_letter_messages",
        Family {
            help: "Messages in a work queue's dead-letter queue.",
            kind: "gauge",
        },
    ),
];

#[derive(Debug, Default)]
struct State {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
}

/// The metrics of one process; share it with `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    state: Mutex<State>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn labels_text(l: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = l
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn published(&self, routing_key: &str, version: &str) {
        let l = vec![
            ("event_type", routing_key.to_owned()),
            ("event_version", version.to_owned()),
        ];
        *self
            .state()
            .counters
            .entry(("evreg_events_published_total", l))
            .or_default() += 1;
    }

    pub(crate) fn publish_failed(&self, routing_key: &str, reason: &str) {
        let l = vec![
            ("event_type", routing_key.to_owned()),
            ("reason", reason.to_owned()),
        ];
        *self
            .state()
            .counters
            .entry(("evreg_publish_failures_total", l))
            .or_default() += 1;
    }

    /// Records one delivery's outcome (a [`crate::Consumer::observe`] callback).
    pub fn consumed(&self, queue: &str, h: &Handled) {
        let mut s = self.state();
        let l = vec![
            ("queue", queue.to_owned()),
            ("event_type", h.routing_key.clone()),
            ("event_version", h.version.clone().unwrap_or_default()),
            ("outcome", h.outcome.as_str().to_owned()),
        ];
        *s.counters
            .entry(("evreg_events_consumed_total", l))
            .or_default() += 1;
        let l = vec![
            ("queue", queue.to_owned()),
            ("event_type", h.routing_key.clone()),
        ];
        if !h.elapsed.is_zero() {
            s.histograms
                .entry(("evreg_handler_duration_seconds", l.clone()))
                .or_default()
                .observe(h.elapsed.as_secs_f64());
        }
        if let Some(at) = h.published_at {
            let age = std::time::SystemTime::now()
                .duration_since(at)
                .unwrap_or_default();
            s.histograms
                .entry(("evreg_event_latency_seconds", l))
                .or_default()
                .observe(age.as_secs_f64());
        }
    }

    fn gauge(&self, name: &'static str, queue: &str, v: f64) {
        self.state()
            .gauges
            .insert((name, vec![("queue", queue.to_owned())]), v);
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let s = self.state();
        let mut out = String::new();
        for (name, f) in &FAMILIES {
            let _ = writeln!(out, "# HELP {name} {}", f.help);
            let _ = writeln!(out, "# TYPE {name} {}", f.kind);
            for ((n, l), v) in s.counters.iter().filter(|((n, _), _)| n == name) {
                let _ = writeln!(out, "{n}{} {v}", labels_text(l, None));
            }
            for ((n, l), v) in s.gauges.iter().filter(|((n, _), _)| n == name) {
                let _ = writeln!(out, "{n}{} {v}", labels_text(l, None));
            }
            for ((n, l), h) in s.histograms.iter().filter(|((n, _), _)| n == name) {
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{n}_bucket{} {}",
                        labels_text(l, Some(("le", b.to_string()))),
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "{n}_bucket{} {}",
                    labels_text(l, Some(("le", "+Inf".into()))),
                    h.count
                );
                let _ = writeln!(out, "{n}_sum{} {}", labels_text(l, None), h.sum);
                let _ = writeln!(out, "{n}_count{} {}", labels_text(l, None), h.count);
            }
        }
        out
    }

    /// Serves `GET /metrics` (any path, in fact) on `listener` until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: tokio::net::TcpListener) {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            let me = self.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let mut seen = Vec::new();
                // Read the request head (bounded), then answer.
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < 16 * 1024 {
                    match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let body = me.render();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    }

    /// Polls the depth of each work queue and its DLQ every `every` (passive
    /// declares, which read without consuming) until the task is dropped.
    pub async fn watch_depths(
        self: Arc<Self>,
        broker: Broker,
        plan: Plan,
        every: Duration,
    ) -> Result<()> {
        loop {
            match self.read_depths(&broker, &plan).await {
                Ok(()) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read queue depths"),
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Reads every work queue's and DLQ's depth once.
    pub async fn read_depths(&self, broker: &Broker, plan: &Plan) -> Result<()> {
        let conn = broker.connect("evreg metrics").await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| broker.error("cannot open a channel", e))?;
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let mut result: Result<()> = Ok(());
        for p in &plan.policies {
            for (name, family) in [
                (&p.queue, "evreg_queue_messages"),
                (&p.dead_letter_queue, "evreg_dead_letter_messages"),
            ] {
                match ch
                    .queue_declare(name.as_str().into(), passive, FieldTable::default())
                    .await
                {
                    Ok(q) => self.gauge(family, &p.queue, f64::from(q.message_count())),
                    Err(e) => {
                        result = Err(BusError::Broker {
                            url: broker.shown().to_owned(),
                            message: format!("queue {name}: {e}"),
                        });
                        break;
                    }
                }
            }
            if result.is_err() {
                break;
            }
        }
        let _ = conn.close(200, "bye".into()).await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consume::Outcome;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.published("auth.user.created", "v1");
        m.published("auth.user.created", "v1");
        m.consumed(
            "catalog.auth.events",
            &Handled {
                outcome: Outcome::Retried,
                routing_key: "auth.user.created".into(),
                version: Some("v1".into()),
                attempt: 1,
                event_id: None,
                error: Some("x".into()),
                elapsed: Duration::from_millis(30),
                published_at: None,
            },
        );
        m.gauge("evreg_dead_letter_messages", "catalog.auth.events", 4.0);
        let text = m.render();
        for want in [
            "evreg_events_published_total{event_type=\"auth.user.created\",event_version=\"v1\"} 2",
            "evreg_events_consumed_total{queue=\"catalog.auth.events\",event_type=\"auth.user.created\",event_version=\"v1\",outcome=\"retried\"} 1",
            "evreg_handler_duration_seconds_bucket{queue=\"catalog.auth.events\",event_type=\"auth.user.created\",le=\"0.025\"} 0",
            "evreg_handler_duration_seconds_bucket{queue=\"catalog.auth.events\",event_type=\"auth.user.created\",le=\"0.05\"} 1",
            "evreg_handler_duration_seconds_count{queue=\"catalog.auth.events\",event_type=\"auth.user.created\"} 1",
            "evreg_dead_letter_messages{queue=\"catalog.auth.events\"} 4",
            "# TYPE evreg_event_latency_seconds histogram",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
    }
}
