//! The Audit service: consumes every event (`audit.all.events`, bound with `#`), each once even when the broker redelivers it.
//!
//! `audit-consumer [--log FILE] [--metrics-port PORT]`: appends each new
//! event's id to FILE; serves Prometheus metrics on PORT.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evreg_bus::Consumer;
use evreg_bus::consume::HandlerError;
use evreg_bus::metrics::Metrics;
use evreg_examples::events::AnyEvent;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    evreg_examples::init_logs();
    let broker = evreg_examples::broker()?;
    let schemas = evreg_examples::schemas()?;
    let metrics = Metrics::new();
    if let Some(port) = evreg_examples::arg("--metrics-port") {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>()?)).await?;
        tokio::spawn(metrics.clone().serve(listener));
        let plan = schemas.plan().clone();
        tokio::spawn(
            metrics
                .clone()
                .watch_depths(broker.clone(), plan, Duration::from_secs(5)),
        );
    }
    let log: Option<Arc<Mutex<std::fs::File>>> = match evreg_examples::arg("--log") {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ))),
        None => None,
    };
    // At-least-once delivery: the envelope's event_id tells a redelivery apart.
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    Consumer::new(broker, schemas, "audit.all.events")?
        .prefetch(200)
        .concurrency(16)
        .metrics(metrics)
        .on_any(move |event: AnyEvent, ctx| {
            let (seen, log) = (seen.clone(), log.clone());
            async move {
                let id = ctx.event_id.clone().unwrap_or_default();
                if !seen.lock().expect("lock").insert(id.clone()) {
                    return Ok::<(), HandlerError>(());
                }
                match &log {
                    Some(f) => writeln!(f.lock().expect("lock"), "{id}")?,
                    None => println!(
                        "{} {} {id}",
                        ctx.routing_key,
                        event.routing_key().unwrap_or("?")
                    ),
                }
                Ok(())
            }
        })
        .run(evreg_examples::shutdown())
        .await?;
    Ok(())
}
