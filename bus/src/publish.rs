//! Publishing: fill the envelope, validate the whole message, send it confirmed and `mandatory`, reconnecting as needed within a bounded wait.

use std::sync::Arc;
use std::time::{Duration, Instant};

use evreg_core::topology::VERSION_HEADER;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection};
use serde_json::Value;

use crate::amqp::{Broker, put_str};
use crate::schemas::{Schemas, now_rfc3339};
use crate::{BusError, Event, Result};

/// What was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub event_id: String,
    pub routing_key: String,
    pub version: String,
    pub exchange: String,
}

/// A connection and a confirming channel, opened on first use and again after a loss.
#[derive(Debug)]
pub(crate) struct Link {
    broker: Broker,
    name: String,
    /// Read on every publish (a cheap lock), written only on (re)connect.
    state: std::sync::RwLock<Option<(Connection, Channel)>>,
    /// One reconnect at a time.
    connecting: tokio::sync::Mutex<()>,
}

impl Link {
    pub(crate) fn new(broker: Broker, name: &str) -> Link {
        Link {
            broker,
            name: name.to_owned(),
            state: std::sync::RwLock::new(None),
            connecting: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Option<Channel> {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        state
            .as_ref()
            .filter(|(c, ch)| c.status().connected() && ch.status().connected())
            .map(|(_, ch)| ch.clone())
    }

    async fn channel(&self) -> Result<Channel> {
        if let Some(ch) = self.current() {
            return Ok(ch);
        }
        let _one = self.connecting.lock().await;
        // Another publish may have reconnected while this one waited.
        if let Some(ch) = self.current() {
            return Ok(ch);
        }
        let conn = self.broker.connect(&self.name).await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| self.broker.error("cannot open a channel", e))?;
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| self.broker.error("cannot enable publisher confirms", e))?;
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Some((conn, ch.clone()));
        Ok(ch)
    }

    /// Drops the connection if it is broken (not one another publish just opened).
    fn forget(&self) {
        let mut state = self.state.write().unwrap_or_else(|p| p.into_inner());
        if state
            .as_ref()
            .is_some_and(|(c, ch)| !(c.status().connected() && ch.status().connected()))
        {
            *state = None;
        }
    }

    /// Sends one message and waits for the broker's confirm, reconnecting
    /// and resending until `timeout` has passed. A resend after a lost
    /// confirm may deliver twice: delivery is at-least-once, and the
    /// envelope's `event_id` is there to deduplicate.
    pub(crate) async fn send(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        props: BasicProperties,
        mandatory: bool,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last: Option<BusError> = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let why = last.map_or("no confirm".to_owned(), |e| e.to_string());
                return Err(BusError::Broker {
                    url: self.broker.shown().to_owned(),
                    message: format!(
                        "{routing_key}: not confirmed within {} ms: {why}",
                        timeout.as_millis()
                    ),
                });
            }
            let attempt = async {
                let ch = self.channel().await?;
                let confirm = ch
                    .basic_publish(
                        exchange.into(),
                        routing_key.into(),
                        BasicPublishOptions {
                            mandatory,
                            ..BasicPublishOptions::default()
                        },
                        body,
                        props.clone(),
                    )
                    .await
                    .map_err(|e| self.broker.error("cannot publish", e))?;
                confirm
                    .await
                    .map_err(|e| self.broker.error("no publisher confirm", e))
            };
            match tokio::time::timeout(left, attempt).await {
                Ok(Ok(Confirmation::Ack(None) | Confirmation::NotRequested)) => return Ok(()),
                Ok(Ok(Confirmation::Ack(Some(_)))) => {
                    return Err(BusError::Unroutable {
                        routing_key: routing_key.to_owned(),
                        exchange: exchange.to_owned(),
                    });
                }
                Ok(Ok(Confirmation::Nack(_))) => {
                    return Err(BusError::Nacked {
                        routing_key: routing_key.to_owned(),
                    });
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "publish failed; reconnecting");
                    self.forget();
                    last = Some(e);
                    let pause = Duration::from_millis(200).min(left);
                    tokio::time::sleep(pause).await;
                }
                Err(_) => {
                    self.forget();
                }
            }
        }
    }

    pub(crate) async fn close(&self) {
        let taken = self.state.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some((c, _)) = taken {
            let _ = c.close(200, "bye".into()).await;
        }
    }
}

/// Publishes events after validating them against their registered schema.
#[derive(Debug)]
pub struct Publisher {
    link: Link,
    schemas: Arc<Schemas>,
    timeout: Duration,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Publisher {
    /// A publisher; it connects on the first event.
    pub fn new(broker: Broker, schemas: Arc<Schemas>) -> Publisher {
        Publisher {
            link: Link::new(broker, "evreg publisher"),
            schemas,
            timeout: Duration::from_secs(10),
            metrics: None,
        }
    }

    /// Counts published events and failures in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Publisher {
        self.metrics = Some(metrics);
        self
    }

    /// How long `publish` may wait for the broker (reconnecting included) before it fails.
    pub fn with_timeout(mut self, d: Duration) -> Publisher {
        self.timeout = d;
        self
    }

    pub fn schemas(&self) -> &Schemas {
        &self.schemas
    }

    /// Publishes a generated payload: `fields` are the other envelope
    /// fields (`organization_id`, `actor`, …); `event_type`,
    /// `event_version`, and unless given `event_id` and `timestamp`, are filled in.
    pub async fn publish<E: Event>(&self, payload: &E, fields: Value) -> Result<Published> {
        let mut message = match fields {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            _ => {
                return Err(BusError::Config(
                    "envelope fields: expected a JSON object".into(),
                ));
            }
        };
        message.insert("event_type".into(), E::ROUTING_KEY.into());
        message.insert("event_version".into(), E::VERSION.into());
        let payload = serde_json::to_value(payload)
            .map_err(|e| BusError::Config(format!("{}: payload: {e}", E::ROUTING_KEY)))?;
        message.insert("payload".into(), payload);
        self.publish_json(Value::Object(message)).await
    }

    /// Publishes a whole envelope (a generated `Envelope<P>`, say), filling
    /// `event_id` and `timestamp` when absent.
    pub async fn publish_message<M: serde::Serialize>(&self, message: &M) -> Result<Published> {
        let v =
            serde_json::to_value(message).map_err(|e| BusError::Config(format!("message: {e}")))?;
        self.publish_json(v).await
    }

    /// Publishes raw JSON by its `event_type`, through the same validation.
    pub async fn publish_json(&self, message: Value) -> Result<Published> {
        let key = message
            .get("event_type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let r = self.send_json(message).await;
        if let Some(m) = &self.metrics {
            match &r {
                Ok(p) => m.published(&p.routing_key, &p.version),
                Err(e) => m.publish_failed(
                    &key,
                    match e {
                        BusError::Invalid(_) => "invalid",
                        BusError::Unroutable { .. } => "unroutable",
                        BusError::Nacked { .. } => "nacked",
                        BusError::Broker { .. } => "broker",
                        BusError::Config(_) => "config",
                    },
                ),
            }
        }
        r
    }

    async fn send_json(&self, mut message: Value) -> Result<Published> {
        let Some(obj) = message.as_object_mut() else {
            return Err(BusError::Config("message: expected a JSON object".into()));
        };
        if !obj.contains_key("event_id") {
            obj.insert("event_id".into(), self.schemas.new_event_id().into());
        }
        if !obj.contains_key("timestamp") {
            obj.insert("timestamp".into(), now_rfc3339().into());
        }
        let subject = self.schemas.check(&message)?;
        let key = subject.routing_key.as_str();
        let exchange = self.schemas.exchange_of(key).ok_or_else(|| {
            BusError::Config(format!(
                "{key}: evreg.toml declares no exchange for it (expected {}.events)",
                key.split('.').next().unwrap_or_default()
            ))
        })?;
        let event_id = message["event_id"].as_str().unwrap_or_default().to_owned();
        let body = serde_json::to_vec(&message).expect("JSON value serialises");
        let props = message_properties(&message, &subject.version_text());
        self.link
            .send(exchange, key, &body, props, true, self.timeout)
            .await?;
        Ok(Published {
            event_id,
            routing_key: key.to_owned(),
            version: subject.version_text(),
            exchange: exchange.to_owned(),
        })
    }

    /// Closes the connection.
    pub async fn close(&self) {
        self.link.close().await;
    }
}

/// The AMQP properties of an event: JSON, persistent, `message_id` =
/// `event_id`, `type` = routing key, the time, and the version header.
pub(crate) fn message_properties(message: &Value, version: &str) -> BasicProperties {
    let mut headers = FieldTable::default();
    put_str(&mut headers, VERSION_HEADER, version);
    let mut props = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_headers(headers)
        .with_timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
    if let Some(id) = message.get("event_id").and_then(Value::as_str) {
        props = props.with_message_id(id.into());
    }
    if let Some(t) = message.get("event_type").and_then(Value::as_str) {
        props = props.with_type(t.into());
    }
    props
}
