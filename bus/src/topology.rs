//! Applying the topology plan to a broker and finding drift: over AMQP (passive and argument-checking declares) and, when given, the management API.

use evreg_core::topology::{Drift, ExchangeSpec, Plan, QueueSpec, drift_from_management};
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::FieldTable;
use lapin::{Connection, ErrorKind, ExchangeKind};

use crate::amqp::{Broker, field_table};
use crate::{BusError, Result};

/// What one object looked like over AMQP.
enum Probe {
    Missing,
    Same,
    /// The broker's PRECONDITION_FAILED text.
    Different(String),
}

fn kind_of(e: &ExchangeSpec) -> ExchangeKind {
    match e.kind.as_str() {
        "topic" => ExchangeKind::Topic,
        "direct" => ExchangeKind::Direct,
        "fanout" => ExchangeKind::Fanout,
        "headers" => ExchangeKind::Headers,
        other => ExchangeKind::Custom(other.to_owned()),
    }
}

fn soft(e: &lapin::Error) -> Option<(AMQPSoftError, String)> {
    match e.kind() {
        ErrorKind::ProtocolError(a) => match a.kind() {
            AMQPErrorKind::Soft(s) => Some((s.clone(), a.get_message().as_str().to_owned())),
            _ => None,
        },
        _ => None,
    }
}

/// Probes with a fresh channel each time: a failed declare closes its channel.
async fn probe_exchange(broker: &Broker, conn: &Connection, e: &ExchangeSpec) -> Result<Probe> {
    let ch = conn
        .create_channel()
        .await
        .map_err(|x| broker.error("cannot open a channel", x))?;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..Default::default()
    };
    match ch
        .exchange_declare(
            e.name.as_str().into(),
            kind_of(e),
            passive,
            FieldTable::default(),
        )
        .await
    {
        Ok(()) => {}
        Err(x) => {
            return match soft(&x) {
                Some((AMQPSoftError::NOTFOUND, _)) => Ok(Probe::Missing),
                _ => Err(broker.error(&format!("exchange {}", e.name), x)),
            };
        }
    }
    let check = ExchangeDeclareOptions {
        durable: e.durable,
        ..Default::default()
    };
    let r = ch
        .exchange_declare(
            e.name.as_str().into(),
            kind_of(e),
            check,
            FieldTable::default(),
        )
        .await;
    let _ = ch.close(200, "probe done".into()).await;
    match r {
        Ok(()) => Ok(Probe::Same),
        Err(x) => match soft(&x) {
            Some((AMQPSoftError::PRECONDITIONFAILED, m)) => Ok(Probe::Different(m)),
            _ => Err(broker.error(&format!("exchange {}", e.name), x)),
        },
    }
}

async fn probe_queue(broker: &Broker, conn: &Connection, q: &QueueSpec) -> Result<Probe> {
    let ch = conn
        .create_channel()
        .await
        .map_err(|x| broker.error("cannot open a channel", x))?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    if let Err(x) = ch
        .queue_declare(q.name.as_str().into(), passive, FieldTable::default())
        .await
    {
        return match soft(&x) {
            Some((AMQPSoftError::NOTFOUND, _)) => Ok(Probe::Missing),
            _ => Err(broker.error(&format!("queue {}", q.name), x)),
        };
    }
    let r = ch
        .queue_declare(
            q.name.as_str().into(),
            QueueDeclareOptions {
                durable: q.durable,
                ..Default::default()
            },
            field_table(&q.arguments),
        )
        .await;
    let _ = ch.close(200, "probe done".into()).await;
    match r {
        Ok(_) => Ok(Probe::Same),
        Err(x) => match soft(&x) {
            Some((AMQPSoftError::PRECONDITIONFAILED, m)) => Ok(Probe::Different(m)),
            _ => Err(broker.error(&format!("queue {}", q.name), x)),
        },
    }
}

/// Drift found over AMQP alone: missing exchanges and queues, and the
/// first mismatch of each existing one (RabbitMQ names one per declare).
/// Bindings are invisible to AMQP: see [`diff_management`].
pub async fn diff_amqp(broker: &Broker, plan: &Plan) -> Result<Vec<Drift>> {
    let conn = broker.connect("evreg topology diff").await?;
    let out = probe_all(broker, &conn, plan).await;
    let _ = conn.close(200, "bye".into()).await;
    Ok(out?.into_iter().map(|(d, _)| d).collect())
}

/// Every drift, and for missing objects which one is missing (to create it).
async fn probe_all(broker: &Broker, conn: &Connection, plan: &Plan) -> Result<Vec<(Drift, usize)>> {
    let mut out = Vec::new();
    for (i, e) in plan.exchanges.iter().enumerate() {
        match probe_exchange(broker, conn, e).await? {
            Probe::Same => {}
            Probe::Missing => out.push((
                Drift::Missing {
                    kind: "exchange",
                    name: e.name.clone(),
                },
                i,
            )),
            Probe::Different(what) => out.push((
                Drift::Different {
                    kind: "exchange",
                    name: e.name.clone(),
                    what,
                },
                i,
            )),
        }
    }
    for (i, q) in plan.queues.iter().enumerate() {
        match probe_queue(broker, conn, q).await? {
            Probe::Same => {}
            Probe::Missing => out.push((
                Drift::Missing {
                    kind: "queue",
                    name: q.name.clone(),
                },
                i,
            )),
            Probe::Different(what) => out.push((
                Drift::Different {
                    kind: "queue",
                    name: q.name.clone(),
                    what,
                },
                i,
            )),
        }
    }
    Ok(out)
}

/// The management API of a broker (`http://guest:guest@127.0.0.1:15672`).
#[derive(Clone)]
pub struct Management {
    base: String,
    auth: Option<String>,
    shown: String,
    /// One HTTP agent for every call (its connection pool is reused).
    agent: ureq::Agent,
}

impl std::fmt::Debug for Management {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Management")
            .field("url", &self.shown)
            .finish()
    }
}

fn base64(input: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Management {
    /// `url` is `http://user:password@host:15672`; without credentials, guest/guest.
    pub fn new(url: &str) -> Result<Management> {
        let shown = crate::redact(url);
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(BusError::Config(format!(
                "{shown}: expected an http:// management URL (http://user:password@host:15672)"
            )));
        };
        let end = rest.find('/').unwrap_or(rest.len());
        let (authority, _) = rest.split_at(end);
        let (auth, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (
                Some(base64(
                    evreg_core::schema::percent_decode(userinfo).as_bytes(),
                )),
                host,
            ),
            None => (Some(base64(b"guest:guest")), authority),
        };
        Ok(Management {
            base: format!("http://{host}"),
            auth,
            shown,
            agent: ureq::Agent::new_with_config(
                ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(std::time::Duration::from_secs(10)))
                    .build(),
            ),
        })
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let url = format!("{}{path}", self.base);
        let agent = &self.agent;
        let auth = self
            .auth
            .as_ref()
            .map(|a| format!("Basic {a}"))
            .unwrap_or_default();
        let err = |m: String| BusError::Broker {
            url: self.shown.clone(),
            message: m,
        };
        let resp = match (method, body) {
            ("GET", _) => agent.get(&url).header("authorization", &auth).call(),
            ("PUT", Some(b)) => agent.put(&url).header("authorization", &auth).send_json(b),
            ("POST", Some(b)) => agent.post(&url).header("authorization", &auth).send_json(b),
            ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
            _ => agent.put(&url).header("authorization", &auth).send_empty(),
        };
        let mut resp = resp.map_err(|e| err(format!("{method} {path}: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(err(format!(
                "{method} {path}: HTTP {status}: {}",
                text.trim()
            )));
        }
        if text.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| err(format!("{method} {path}: not JSON: {e}")))
    }

    /// GET a path of the API (blocking: call from `spawn_blocking` in async code).
    pub fn get(&self, path: &str) -> Result<serde_json::Value> {
        self.call("GET", path, None)
    }

    /// POST a body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
        self.call("POST", path, Some(body))
    }

    /// PUT a body (or nothing).
    pub fn put(&self, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value> {
        self.call("PUT", path, body)
    }

    /// DELETE a path.
    pub fn delete(&self, path: &str) -> Result<serde_json::Value> {
        self.call("DELETE", path, None)
    }
}

impl Management {
    /// Creates `vhost` afresh (deleting one of that name first) and grants
    /// `user` configure, write and read on all of it: for tests, benchmarks
    /// and staging environments.
    pub fn fresh_vhost(&self, vhost: &str, user: &str) -> Result<()> {
        let v = vhost_segment(vhost);
        self.delete_vhost(vhost);
        self.put(&format!("/api/vhosts/{v}"), None)?;
        self.put(
            &format!("/api/permissions/{v}/{}", vhost_segment(user)),
            Some(&serde_json::json!({"configure": ".*", "write": ".*", "read": ".*"})),
        )?;
        Ok(())
    }

    /// Deletes `vhost` and everything in it; a vhost that is not there is no error.
    pub fn delete_vhost(&self, vhost: &str) {
        let _ = self.delete(&format!("/api/vhosts/{}", vhost_segment(vhost)));
    }
}

/// `amqp` (`amqp://user:password@host:port[/vhost]`) pointed at `vhost` instead.
pub fn url_in_vhost(amqp: &str, vhost: &str) -> String {
    let rest = amqp.strip_prefix("amqp://").unwrap_or(amqp);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("amqp://{authority}/{}", vhost_segment(vhost))
}

/// A virtual host as a management API path segment.
pub fn vhost_segment(vhost: &str) -> String {
    evreg_core::schema::percent_encode(vhost, b"")
}

/// Every drift the management API shows: objects, arguments, and bindings
/// (missing, and extra ones on the file's exchanges). Blocking.
pub fn diff_management(api: &Management, vhost: &str, plan: &Plan) -> Result<Vec<Drift>> {
    let v = vhost_segment(vhost);
    let exchanges = api.get(&format!("/api/exchanges/{v}"))?;
    let queues = api.get(&format!("/api/queues/{v}"))?;
    let bindings = api.get(&format!("/api/bindings/{v}"))?;
    Ok(drift_from_management(plan, &exchanges, &queues, &bindings))
}

/// What `apply` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// `exchange x`, `queue y`: objects that did not exist and now do.
    pub created: Vec<String>,
    /// Objects already as the file says.
    pub unchanged: usize,
    /// Bindings declared (AMQP cannot tell which already existed).
    pub bindings: usize,
}

/// Declares what is missing, after checking that nothing existing differs:
/// on drift it changes nothing and returns the drift as an error (it never
/// deletes or recreates a queue: queue arguments cannot change once declared).
pub async fn apply(broker: &Broker, plan: &Plan) -> Result<Applied> {
    let conn = broker.connect("evreg topology apply").await?;
    let r = apply_on(broker, &conn, plan).await;
    let _ = conn.close(200, "bye".into()).await;
    r
}

async fn apply_on(broker: &Broker, conn: &Connection, plan: &Plan) -> Result<Applied> {
    let drift = probe_all(broker, conn, plan).await?;
    let different: Vec<String> = drift
        .iter()
        .filter(|(d, _)| matches!(d, Drift::Different { .. }))
        .map(|(d, _)| d.to_string())
        .collect();
    if !different.is_empty() {
        return Err(BusError::Config(format!(
            "the broker differs from the file; nothing was changed (`evreg topology diff` shows every difference; a queue's arguments cannot change once declared, so fix the file or delete the queue by hand):\n  {}",
            different.join("\n  ")
        )));
    }
    let ch = conn
        .create_channel()
        .await
        .map_err(|x| broker.error("cannot open a channel", x))?;
    let mut applied = Applied {
        unchanged: plan.exchanges.len() + plan.queues.len() - drift.len(),
        ..Applied::default()
    };
    for (d, i) in &drift {
        match d {
            Drift::Missing {
                kind: "exchange", ..
            } => {
                let e = &plan.exchanges[*i];
                ch.exchange_declare(
                    e.name.as_str().into(),
                    kind_of(e),
                    ExchangeDeclareOptions {
                        durable: e.durable,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_err(|x| broker.error(&format!("declare exchange {}", e.name), x))?;
                applied.created.push(format!("exchange {}", e.name));
            }
            Drift::Missing { .. } => {
                let q = &plan.queues[*i];
                ch.queue_declare(
                    q.name.as_str().into(),
                    QueueDeclareOptions {
                        durable: q.durable,
                        ..Default::default()
                    },
                    field_table(&q.arguments),
                )
                .await
                .map_err(|x| broker.error(&format!("declare queue {}", q.name), x))?;
                applied.created.push(format!("queue {}", q.name));
            }
            _ => {}
        }
    }
    for b in &plan.bindings {
        ch.queue_bind(
            b.queue.as_str().into(),
            b.exchange.as_str().into(),
            b.pattern.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|x| {
            broker.error(
                &format!("bind {} to {} with {:?}", b.queue, b.exchange, b.pattern),
                x,
            )
        })?;
        applied.bindings += 1;
    }
    let _ = ch.close(200, "applied".into()).await;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc_4648() {
        assert_eq!(super::base64(b"guest:guest"), "Z3Vlc3Q6Z3Vlc3Q=");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
    }
}
