//! Consuming: validate each delivery, dispatch it by event type and version, and ack, retry through the wait queues, or dead-letter it; reconnect after a loss and stop gracefully.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use evreg_core::topology::{
    ATTEMPT_HEADER, ERROR_HEADER, QUEUE_HEADER, REASON_HEADER, ROUTING_KEY_HEADER, RetryPolicy,
};
use futures_core::Stream;
use lapin::Confirmation;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use serde_json::Value;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::amqp::{Broker, header_int, header_str, put_int, put_str};
use crate::schemas::Schemas;
use crate::{BusError, Event, Result};

/// A handler's failure: the event is retried, then dead-lettered with this text.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;
/// Reads the message into the handler's type (an error is an invalid message) and starts the handler.
type Handler = Arc<dyn Fn(Value, Context) -> Result<HandlerFuture, String> + Send + Sync>;
type Observer = Arc<dyn Fn(&Handled) + Send + Sync>;

/// What a handler knows about the delivery besides the event.
#[derive(Debug, Clone)]
pub struct Context {
    pub queue: String,
    /// The routing key the event was published with (kept across retries).
    pub routing_key: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub max_deliveries: u32,
    pub event_id: Option<String>,
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Handled and acknowledged.
    Acked,
    /// The handler failed or timed out; the event waits in a retry queue.
    Retried,
    /// The handler failed on the last attempt (or the consumer crashed too often); in the DLQ.
    DeadLettered,
    /// Not JSON, or not valid against its schema; in the DLQ without retries.
    Invalid,
    /// No handler (or no schema) for its type and version; in the DLQ.
    Unhandled,
    /// No handler, acknowledged and counted (`Unhandled::Ack`).
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Acked => "acked",
            Outcome::Retried => "retried",
            Outcome::DeadLettered => "dead_lettered",
            Outcome::Invalid => "invalid",
            Outcome::Unhandled => "unhandled",
            Outcome::Ignored => "ignored",
        }
    }
}

/// One delivery's outcome, for metrics, logs and tests.
#[derive(Debug, Clone)]
pub struct Handled {
    pub outcome: Outcome,
    pub routing_key: String,
    pub version: Option<String>,
    pub attempt: u32,
    pub event_id: Option<String>,
    pub error: Option<String>,
    /// Time in the handler (zero when none ran).
    pub elapsed: Duration,
    /// The envelope's `timestamp`, for end-to-end latency.
    pub published_at: Option<std::time::SystemTime>,
}

/// What to do with an event no handler takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unhandled {
    /// To the dead-letter queue, reason `unhandled` (the default).
    #[default]
    DeadLetter,
    /// Acknowledge it and count it as ignored.
    Ack,
}

/// Consumes one work queue of the topology.
pub struct Consumer {
    broker: Broker,
    schemas: Arc<Schemas>,
    policy: RetryPolicy,
    handlers: HashMap<(String, u32), Handler>,
    any: Option<Handler>,
    unhandled: Unhandled,
    prefetch: u16,
    concurrency: usize,
    observers: Vec<Observer>,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.policy.queue)
            .field("handlers", &self.handlers.len())
            .finish()
    }
}

fn version_number(v: &str) -> u32 {
    v.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

impl Consumer {
    /// A consumer of `queue`, which must be a work queue of the catalog's topology.
    pub fn new(broker: Broker, schemas: Arc<Schemas>, queue: &str) -> Result<Consumer> {
        let policy = schemas.plan().policy(queue).cloned().ok_or_else(|| {
            let known: Vec<&str> = schemas
                .plan()
                .policies
                .iter()
                .map(|p| p.queue.as_str())
                .collect();
            BusError::Config(format!(
                "{queue}: not a work queue of evreg.toml (its queues: {})",
                known.join(", ")
            ))
        })?;
        Ok(Consumer {
            broker,
            schemas,
            policy,
            handlers: HashMap::new(),
            any: None,
            unhandled: Unhandled::default(),
            prefetch: 32,
            concurrency: 8,
            observers: Vec::new(),
        })
    }

    /// Handles one version of one event with its generated envelope type.
    pub fn on<E, F, Fut>(mut self, handler: F) -> Consumer
    where
        E: Event,
        F: Fn(E::Message, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let h: Handler = Arc::new(move |v, ctx| {
            let m: E::Message = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok(Box::pin(handler(m, ctx)) as HandlerFuture)
        });
        self.handlers
            .insert((E::ROUTING_KEY.to_owned(), version_number(E::VERSION)), h);
        self
    }

    /// Handles every event without a handler of its own, read as `M` (the
    /// generated `AnyEvent`, or `serde_json::Value`).
    pub fn on_any<M, F, Fut>(mut self, handler: F) -> Consumer
    where
        M: serde::de::DeserializeOwned + Send + 'static,
        F: Fn(M, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.any = Some(Arc::new(move |v, ctx| {
            let m: M = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok(Box::pin(handler(m, ctx)) as HandlerFuture)
        }));
        self
    }

    /// What to do with events no handler takes.
    pub fn unhandled(mut self, u: Unhandled) -> Consumer {
        self.unhandled = u;
        self
    }

    /// Deliveries the broker may send before they are acknowledged.
    pub fn prefetch(mut self, n: u16) -> Consumer {
        self.prefetch = n.max(1);
        self
    }

    /// Handlers running at once.
    pub fn concurrency(mut self, n: usize) -> Consumer {
        self.concurrency = n.max(1);
        self
    }

    /// Called after each delivery with its outcome (metrics, logs, tests).
    pub fn observe(mut self, f: impl Fn(&Handled) + Send + Sync + 'static) -> Consumer {
        self.observers.push(Arc::new(f));
        self
    }

    pub fn queue(&self) -> &str {
        &self.policy.queue
    }

    /// Counts every outcome, handler time and end-to-end latency in `metrics`.
    pub fn metrics(self, metrics: Arc<crate::metrics::Metrics>) -> Consumer {
        let queue = self.policy.queue.clone();
        self.observe(move |h| metrics.consumed(&queue, h))
    }

    /// Consumes until `shutdown` completes: then it stops taking deliveries,
    /// lets the handlers in flight finish and acknowledge, and closes. A lost
    /// connection is reopened with backoff (1 s doubling to 30 s); what was
    /// in flight is redelivered by the broker (at-least-once).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let this = Arc::new(self);
        let mut backoff = Duration::from_secs(1);
        loop {
            let started = Instant::now();
            match this.clone().session(stop_rx.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let stop_requested = *stop_rx.borrow();
                    if stop_requested {
                        return Ok(());
                    }
                    if started.elapsed() > Duration::from_secs(60) {
                        backoff = Duration::from_secs(1);
                    }
                    tracing::warn!(queue = %this.policy.queue, error = %e, wait_ms = backoff.as_millis() as u64, "consumer lost its connection; reconnecting");
                    let mut stop = stop_rx.clone();
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = stopped(&mut stop) => return Ok(()),
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// One connection's worth of consuming; `Ok` only after a requested stop.
    async fn session(self: Arc<Self>, mut stop: watch::Receiver<bool>) -> Result<()> {
        let b = &self.broker;
        let conn = b
            .connect(&format!("evreg consumer {}", self.policy.queue))
            .await?;
        let ch = conn
            .create_channel()
            .await
            .map_err(|e| b.error("cannot open a channel", e))?;
        ch.basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| b.error("cannot set prefetch", e))?;
        let out = conn
            .create_channel()
            .await
            .map_err(|e| b.error("cannot open a channel", e))?;
        out.confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| b.error("cannot enable publisher confirms", e))?;
        let tag = format!("evreg-{}-{}", self.policy.queue, std::process::id());
        let mut deliveries = ch
            .basic_consume(
                self.policy.queue.as_str().into(),
                tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| b.error(&format!("cannot consume {}", self.policy.queue), e))?;
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        let result = loop {
            while tasks.try_join_next().is_some() {}
            let next = std::future::poll_fn(|cx| Pin::new(&mut deliveries).poll_next(cx));
            tokio::select! {
                _ = stopped(&mut stop) => break Ok(()),
                d = next => match d {
                    None => break Err(b.error("consumer", "cancelled by the broker")),
                    Some(Err(e)) => break Err(b.error("consumer", e)),
                    Some(Ok(delivery)) => {
                        let permit = permits.clone().acquire_owned().await.expect("never closed");
                        let (this, out) = (self.clone(), out.clone());
                        tasks.spawn(async move {
                            this.process(delivery, &out).await;
                            drop(permit);
                        });
                    }
                },
            }
        };
        if result.is_ok() {
            let _ = ch
                .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                .await;
        }
        // Let handlers in flight finish and acknowledge (or, after a loss,
        // fail to: the broker redelivers those).
        while tasks.join_next().await.is_some() {}
        let _ = conn.close(200, "bye".into()).await;
        result
    }

    fn notify(&self, h: Handled) {
        for o in &self.observers {
            o(&h);
        }
    }

    async fn process(&self, d: Delivery, out: &Channel) {
        let headers = d.properties.headers().as_ref();
        let routing_key =
            header_str(headers, ROUTING_KEY_HEADER).unwrap_or_else(|| d.routing_key.to_string());
        let attempt = header_int(headers, ATTEMPT_HEADER).unwrap_or(1).max(1) as u32;
        // A consumer that crashed (or lost its connection) mid-handler leaves
        // the delivery unacknowledged: each redelivery counts as an attempt,
        // so a message that kills its consumer cannot loop forever.
        let crashes = match header_int(headers, "x-delivery-count") {
            Some(n) => n.max(0) as u32,
            None => u32::from(d.redelivered),
        };
        let attempt = attempt + crashes;
        let event_id = d.properties.message_id().as_ref().map(|m| m.to_string());
        let mut handled = Handled {
            outcome: Outcome::Acked,
            routing_key: routing_key.clone(),
            version: None,
            attempt,
            event_id: event_id.clone(),
            error: None,
            elapsed: Duration::ZERO,
            published_at: None,
        };
        let value: Value = match serde_json::from_slice(&d.data) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("not JSON: {e}");
                return self
                    .dead_letter(d, out, handled, Outcome::Invalid, why)
                    .await;
            }
        };
        handled.published_at = value
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(std::time::SystemTime::from);
        handled.event_id = value
            .get("event_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(handled.event_id);
        let subject = match self.schemas.check(&value) {
            Ok(s) => s,
            Err(invalid) => {
                let known = Schemas::subject_of(&value)
                    .ok()
                    .filter(|s| self.schemas.knows(s));
                handled.version = value
                    .get("event_version")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let outcome = match (known, Schemas::subject_of(&value)) {
                    // Named a type or version this consumer has no schema for.
                    (None, Ok(_)) => Outcome::Unhandled,
                    _ => Outcome::Invalid,
                };
                if outcome == Outcome::Unhandled && self.unhandled == Unhandled::Ack {
                    return self.ack(d, handled, Outcome::Ignored).await;
                }
                return self
                    .dead_letter(d, out, handled, outcome, invalid.to_string())
                    .await;
            }
        };
        handled.version = Some(subject.version_text());
        if attempt > self.policy.max_deliveries {
            let why = format!(
                "redelivered {crashes} time(s) without an acknowledgement (the consumer crashed or lost its connection mid-handler)"
            );
            return self
                .dead_letter(d, out, handled, Outcome::DeadLettered, why)
                .await;
        }
        let handler = self
            .handlers
            .get(&(subject.routing_key.clone(), subject.version))
            .or(self.any.as_ref());
        let Some(handler) = handler else {
            if self.unhandled == Unhandled::Ack {
                return self.ack(d, handled, Outcome::Ignored).await;
            }
            let why = format!(
                "this consumer has no handler for {} {}",
                subject.routing_key,
                subject.version_text()
            );
            return self
                .dead_letter(d, out, handled, Outcome::Unhandled, why)
                .await;
        };
        let ctx = Context {
            queue: self.policy.queue.clone(),
            routing_key,
            attempt,
            max_deliveries: self.policy.max_deliveries,
            event_id: handled.event_id.clone(),
        };
        let fut = match handler(value, ctx) {
            Ok(f) => f,
            Err(e) => {
                let why = format!("does not read as the handler's type: {e}");
                return self
                    .dead_letter(d, out, handled, Outcome::Invalid, why)
                    .await;
            }
        };
        let started = Instant::now();
        let timeout = Duration::from_millis(self.policy.handler_timeout_ms);
        let result = match tokio::time::timeout(timeout, fut).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "handler timed out after {} ms",
                timeout.as_millis()
            )),
        };
        handled.elapsed = started.elapsed();
        match result {
            Ok(()) => self.ack(d, handled, Outcome::Acked).await,
            Err(e) => match self.policy.wait_after(attempt) {
                Some(wait) => self.retry(d, out, handled, wait.to_owned(), e).await,
                None => {
                    self.dead_letter(d, out, handled, Outcome::DeadLettered, e)
                        .await
                }
            },
        }
    }

    async fn ack(&self, d: Delivery, mut handled: Handled, outcome: Outcome) {
        if let Err(e) = d.ack(BasicAckOptions::default()).await {
            tracing::warn!(error = %e, "ack failed; the broker will redeliver");
        }
        handled.outcome = outcome;
        self.notify(handled);
    }

    /// Republishes to the wait queue of this attempt (confirmed), then acks;
    /// if the republish fails, the delivery goes back to the queue instead.
    async fn retry(
        &self,
        d: Delivery,
        out: &Channel,
        mut handled: Handled,
        wait: String,
        error: String,
    ) {
        let mut headers = d.properties.headers().clone().unwrap_or_default();
        put_int(&mut headers, ATTEMPT_HEADER, i64::from(handled.attempt) + 1);
        put_str(&mut headers, ROUTING_KEY_HEADER, &handled.routing_key);
        put_str(&mut headers, ERROR_HEADER, &truncate(&error));
        let props = d.properties.clone().with_headers(headers);
        handled.error = Some(error);
        self.forward(d, out, &wait, props, handled, Outcome::Retried)
            .await;
    }

    async fn dead_letter(
        &self,
        d: Delivery,
        out: &Channel,
        mut handled: Handled,
        outcome: Outcome,
        error: String,
    ) {
        let reason = match outcome {
            Outcome::Invalid => "invalid",
            Outcome::Unhandled => "unhandled",
            _ if error.starts_with("redelivered") => "redelivered",
            _ => "failed",
        };
        tracing::warn!(queue = %self.policy.queue, routing_key = %handled.routing_key, reason, error = %error, "dead-lettered");
        let mut headers = own_headers(&d.properties);
        put_int(&mut headers, ATTEMPT_HEADER, i64::from(handled.attempt));
        put_str(&mut headers, ROUTING_KEY_HEADER, &handled.routing_key);
        put_str(&mut headers, REASON_HEADER, reason);
        put_str(&mut headers, ERROR_HEADER, &truncate(&error));
        put_str(&mut headers, QUEUE_HEADER, &self.policy.queue);
        let props = d.properties.clone().with_headers(headers);
        handled.error = Some(error);
        let dlq = self.policy.dead_letter_queue.clone();
        self.forward(d, out, &dlq, props, handled, outcome).await;
    }

    async fn forward(
        &self,
        d: Delivery,
        out: &Channel,
        queue: &str,
        props: BasicProperties,
        mut handled: Handled,
        outcome: Outcome,
    ) {
        match publish_confirmed(out, queue, &d.data, props).await {
            Ok(()) => {
                if let Err(e) = d.ack(BasicAckOptions::default()).await {
                    tracing::warn!(error = %e, "ack failed; the broker will redeliver");
                }
                handled.outcome = outcome;
                self.notify(handled);
            }
            Err(e) => {
                tracing::warn!(queue, error = %e, "could not move the event; it goes back to its queue");
                let _ = d
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await;
            }
        }
    }
}

/// The headers a forwarded copy keeps: the broker's own delivery count
/// belongs to the delivery, not to the new message.
pub(crate) fn own_headers(props: &BasicProperties) -> FieldTable {
    let mut out = FieldTable::default();
    for (k, v) in props
        .headers()
        .as_ref()
        .map(|h| h.inner())
        .into_iter()
        .flatten()
    {
        if k.as_str() != "x-delivery-count" {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// Completes once a stop was requested (the guard `wait_for` returns must not live across an await).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Header values are bounded: an error text can be long.
fn truncate(s: &str) -> String {
    if s.len() <= 2000 {
        return s.to_owned();
    }
    let mut end = 2000;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Publishes to a queue through the default exchange and waits for the confirm.
pub(crate) async fn publish_confirmed(
    ch: &Channel,
    queue: &str,
    body: &[u8],
    props: BasicProperties,
) -> std::result::Result<(), String> {
    let confirm = ch
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            body,
            props,
        )
        .await
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(Duration::from_secs(10), confirm).await {
        Ok(Ok(Confirmation::Ack(None))) => Ok(()),
        Ok(Ok(Confirmation::Ack(Some(_)))) => Err(format!("queue {queue} does not exist")),
        Ok(Ok(_)) => Err(format!("the broker refused the message for {queue}")),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no confirm within 10 s".into()),
    }
}

/// One event seen by [`tail`].
#[derive(Debug, Clone)]
pub struct Tailed {
    pub routing_key: String,
    pub exchange: String,
    pub body: Vec<u8>,
}

/// Watches what reaches `queue` without taking it from its consumers: a
/// temporary exclusive queue with the same bindings, read until `on_event`
/// returns false or `stop` completes.
pub async fn tail(
    broker: &Broker,
    schemas: &Schemas,
    queue: &str,
    stop: impl Future<Output = ()>,
    mut on_event: impl FnMut(Tailed) -> bool,
) -> Result<()> {
    let bindings: Vec<_> = schemas.plan().bindings_to(queue).cloned().collect();
    if bindings.is_empty() {
        return Err(BusError::Config(format!(
            "{queue}: evreg.toml binds nothing to this queue, so there is nothing to tail"
        )));
    }
    let conn = broker.connect(&format!("evreg tail {queue}")).await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| broker.error("cannot open a channel", e))?;
    let q = ch
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| broker.error("cannot declare the tail queue", e))?;
    for b in &bindings {
        ch.queue_bind(
            q.name().clone(),
            b.exchange.as_str().into(),
            b.pattern.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| broker.error("cannot bind the tail queue", e))?;
    }
    let mut deliveries = ch
        .basic_consume(
            q.name().clone(),
            "evreg-tail".into(),
            BasicConsumeOptions {
                no_ack: true,
                exclusive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| broker.error("cannot consume the tail queue", e))?;
    tokio::pin!(stop);
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut deliveries).poll_next(cx));
        tokio::select! {
            _ = &mut stop => break,
            d = next => match d {
                Some(Ok(d)) => {
                    let go_on = on_event(Tailed {
                        routing_key: d.routing_key.to_string(),
                        exchange: d.exchange.to_string(),
                        body: d.data,
                    });
                    if !go_on {
                        break;
                    }
                }
                Some(Err(e)) => return Err(broker.error("tail", e)),
                None => break,
            },
        }
    }
    let _ = conn.close(200, "bye".into()).await;
    Ok(())
}
