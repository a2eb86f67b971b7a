//! Benchmark, not a timed test: evreg-bus against raw lapin on the same broker, same queues, same bytes, in one run.
//!
//! `EVREG_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 cargo bench -p evreg-tests --bench bus`
//! applies the seed's topology in a fresh virtual host, then measures:
//! - publish: evreg's `Publisher::publish_json` (envelope check, schema
//!   validation, confirms, `mandatory`) against lapin publishing the same
//!   bytes with the same properties, confirms and `mandatory`; 64 in flight each;
//! - consume: evreg's `Consumer` (JSON parse, validation, dispatch to a typed
//!   handler, ack) against a lapin consumer that acks each delivery; prefetch
//!   200 each;
//! - the per-event cost of validation alone, in-process.
//!
//! `-- --smoke` runs a few hundred events. Without the variable it says so and exits.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evreg_bus::consume::HandlerError;
use evreg_bus::topology::{Management, apply, url_in_vhost};
use evreg_bus::{Broker, Catalog, Consumer, Publisher, Schemas};
use evreg_codegen::Disk;
use evreg_core::layout::SchemaDir;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueuePurgeOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::Value;

const QUEUE: &str = "audit.all.events";

fn main() {
    let Ok(amqp) = std::env::var("EVREG_TEST_AMQP_URL") else {
        println!("bus benchmark skipped: set EVREG_TEST_AMQP_URL");
        return;
    };
    let smoke = std::env::args().any(|a| a == "--smoke");
    let n: usize = if smoke { 400 } else { 20_000 };
    let api = Management::new(
        &std::env::var("EVREG_TEST_AMQP_MANAGEMENT_URL")
            .unwrap_or_else(|_| "http://guest:guest@127.0.0.1:15672".into()),
    )
    .expect("management URL");
    let vhost = format!("evreg-bench-{}", std::process::id());
    api.fresh_vhost(&vhost, "guest")
        .expect("a vhost of its own");
    let url = url_in_vhost(&amqp, &vhost);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let dir = SchemaDir::load(&Disk, &root).expect("seed");
    let schemas = Arc::new(Schemas::new(Catalog::from_schema_dir(&dir)).expect("schemas"));
    let example = dir
        .subjects
        .iter()
        .find(|s| s.key.as_str() == "auth.user.created")
        .and_then(|s| s.examples.first())
        .expect("example");
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(example).expect("read")).expect("JSON");
    let body = serde_json::to_vec(&event).expect("bytes");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let broker = Broker::new(&url, None).expect("url");
    rt.block_on(async {
        apply(&broker, schemas.plan()).await.expect("apply");
        let conn = Connection::connect(&url, ConnectionProperties::default())
            .await
            .expect("connect");
        let ch = conn.create_channel().await.expect("channel");
        ch.confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirms");
        let publisher = Arc::new(Publisher::new(broker.clone(), schemas.clone()));
        // The broker's speed drifts over a run (queue sizes, disk): rounds
        // alternate which side goes first, and the medians are reported.
        let rounds = if smoke { 1 } else { 5 };
        let (mut pubs, mut cons) = (Vec::new(), Vec::new());
        let mut sequential = 0.0;
        for round in 0..rounds {
            for q in [QUEUE, "catalog.auth.events"] {
                ch.queue_purge(q.into(), QueuePurgeOptions::default())
                    .await
                    .expect("purge");
            }
            let (raw, ours) = if round % 2 == 0 {
                let r = raw_publish(&ch, &body, n).await;
                (r, evreg_publish(&publisher, &event, n).await)
            } else {
                let o = evreg_publish(&publisher, &event, n).await;
                (raw_publish(&ch, &body, n).await, o)
            };
            pubs.push((raw, ours));
            // The queue now holds 2n events, and a surplus (untimed) for the
            // handlers evreg lets finish when it stops: each consumer takes n.
            raw_publish(&ch, &body, 100).await;
            let (raw, ours) = if round % 2 == 0 {
                let r = raw_consume(&conn, n, 16).await;
                (r, evreg_consume(&broker, &schemas, n).await)
            } else {
                let o = evreg_consume(&broker, &schemas, n).await;
                (raw_consume(&conn, n, 16).await, o)
            };
            cons.push((raw, ours));
            if round == 0 {
                raw_publish(&ch, &body, n).await;
                sequential = raw_consume(&conn, n, 1).await;
            }
        }
        publisher.close().await;
        let _ = conn.close(200, "bye".into()).await;

        let rounds_v = if smoke { 2_000 } else { 50_000 };
        let started = Instant::now();
        for _ in 0..rounds_v {
            assert!(schemas.check(&event).is_ok());
        }
        let per_event = started.elapsed() / rounds_v;

        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let ratio = |pairs: &[(f64, f64)]| median(&mut pairs.iter().map(|(r, o)| o / r).collect());
        let (rp, op) = (median(&mut pubs.iter().map(|p| p.0).collect()), median(&mut pubs.iter().map(|p| p.1).collect()));
        let (rc, oc) = (median(&mut cons.iter().map(|p| p.0).collect()), median(&mut cons.iter().map(|p| p.1).collect()));
        println!("bus benchmark: {n} events of auth.user.created a side, {rounds} interleaved round(s), medians; one broker, seed topology (quorum queues)");
        println!("  publish  raw lapin {rp:>8.0}/s   evreg {op:>8.0}/s   ratio {:.2} (target >= 0.90)", ratio(&pubs));
        println!("  consume  raw lapin {rc:>8.0}/s   evreg {oc:>8.0}/s   ratio {:.2} (target >= 0.80); both 16 in flight, prefetch 200", ratio(&cons));
        println!("  raw lapin consume with each ack awaited in turn (lapin's example): {sequential:.0}/s");
        println!("  validation alone: {:.1} µs per event", per_event.as_secs_f64() * 1e6);
    });
    api.delete_vhost(&vhost);
}

/// Raw lapin: the same bytes and properties, confirms and `mandatory`, 64 in flight.
async fn raw_publish(ch: &lapin::Channel, body: &[u8], n: usize) -> f64 {
    let started = Instant::now();
    let mut pending = std::collections::VecDeque::new();
    for _ in 0..n {
        if pending.len() >= 64 {
            let c: lapin::PublisherConfirm = pending.pop_front().expect("pending");
            assert!(c.await.expect("confirm").is_ack());
        }
        let props = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_message_id("evt_bench".into())
            .with_type("auth.user.created".into());
        let c = ch
            .basic_publish(
                "auth.events".into(),
                "auth.user.created".into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                body,
                props,
            )
            .await
            .expect("publish");
        pending.push_back(c);
    }
    for c in pending {
        assert!(c.await.expect("confirm").is_ack());
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// evreg: envelope check, validation, serialisation, confirms and `mandatory`, 64 in flight.
async fn evreg_publish(p: &Arc<Publisher>, event: &Value, n: usize) -> f64 {
    let started = Instant::now();
    let mut tasks: tokio::task::JoinSet<evreg_bus::Result<evreg_bus::Published>> =
        tokio::task::JoinSet::new();
    for _ in 0..n {
        if tasks.len() >= 64 {
            tasks
                .join_next()
                .await
                .expect("task")
                .expect("join")
                .expect("publish");
        }
        let (p, e) = (p.clone(), event.clone());
        tasks.spawn(async move { p.publish_json(e).await });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("join").expect("publish");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Raw lapin: consume `n` and ack each, `in_flight` acks at a time.
async fn raw_consume(conn: &Connection, n: usize, in_flight: usize) -> f64 {
    use futures_core::Stream;
    let cch = conn.create_channel().await.expect("channel");
    cch.basic_qos(200, BasicQosOptions::default())
        .await
        .expect("qos");
    let mut c = cch
        .basic_consume(
            QUEUE.into(),
            "raw".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("consume");
    let started = Instant::now();
    let mut acks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let d = std::future::poll_fn(|cx| std::pin::Pin::new(&mut c).poll_next(cx))
            .await
            .expect("delivery")
            .expect("ok");
        if acks.len() >= in_flight {
            acks.join_next().await.expect("an ack").expect("joined");
        }
        acks.spawn(async move { d.ack(BasicAckOptions::default()).await.expect("ack") });
    }
    while acks.join_next().await.is_some() {}
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = cch.close(200, "done".into()).await;
    rate
}

/// evreg: consume `n`: parse, validate, dispatch to a typed handler, ack; 16 handlers at once.
async fn evreg_consume(broker: &Broker, schemas: &Arc<Schemas>, n: usize) -> f64 {
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let consumer = Consumer::new(broker.clone(), schemas.clone(), QUEUE)
        .expect("consumer")
        .prefetch(200)
        .concurrency(16)
        .on::<evreg_tests::seed_bus::auth::user::UserCreatedV1, _, _>(move |_m, _| {
            let c = c2.clone();
            async move {
                c.fetch_add(1, Ordering::Relaxed);
                Ok::<(), HandlerError>(())
            }
        });
    let started = Instant::now();
    let run = tokio::spawn(consumer.run(async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    while count.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    tx.send(true).expect("stop");
    run.await.expect("join").expect("consumer");
    rate
}
