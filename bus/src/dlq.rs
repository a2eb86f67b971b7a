//! Dead letters: list them with their reasons, and replay them to their work queue after re-validating each against the current schema.

use evreg_core::topology::{
    ATTEMPT_HEADER, ERROR_HEADER, QUEUE_HEADER, REASON_HEADER, ROUTING_KEY_HEADER,
};
use lapin::options::{BasicAckOptions, BasicGetOptions, ConfirmSelectOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection};

use crate::amqp::{Broker, header_int, header_str, put_int, put_str};
use crate::consume::{own_headers, publish_confirmed};
use crate::schemas::Schemas;
use crate::{BusError, Result};

/// One message in a dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub event_id: Option<String>,
    pub routing_key: Option<String>,
    /// `failed`, `invalid`, `unhandled`, `redelivered`, or none for a message the broker dead-lettered itself.
    pub reason: Option<String>,
    pub error: Option<String>,
    pub attempts: Option<i64>,
    /// The work queue it came from.
    pub queue: Option<String>,
    pub body: String,
}

/// The dead-letter queue of a name given as the work queue or as the DLQ itself.
fn dlq_of(schemas: &Schemas, name: &str) -> Result<(String, String)> {
    let plan = schemas.plan();
    if let Some(p) = plan.policy(name) {
        return Ok((p.dead_letter_queue.clone(), p.queue.clone()));
    }
    if let Some(p) = plan.work_queue_of_dlq(name) {
        return Ok((p.dead_letter_queue.clone(), p.queue.clone()));
    }
    Err(BusError::Config(format!(
        "{name}: neither a work queue nor a dead-letter queue of evreg.toml"
    )))
}

async fn open(broker: &Broker, what: &str) -> Result<(Connection, Channel)> {
    let conn = broker.connect(what).await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| broker.error("cannot open a channel", e))?;
    Ok((conn, ch))
}

fn read(get: &lapin::message::BasicGetMessage) -> DeadLetter {
    let h = get.delivery.properties.headers().as_ref();
    DeadLetter {
        event_id: get
            .delivery
            .properties
            .message_id()
            .as_ref()
            .map(ShortString::to_string),
        routing_key: header_str(h, ROUTING_KEY_HEADER),
        reason: header_str(h, REASON_HEADER),
        error: header_str(h, ERROR_HEADER),
        attempts: header_int(h, ATTEMPT_HEADER),
        queue: header_str(h, QUEUE_HEADER),
        body: String::from_utf8_lossy(&get.delivery.data).into_owned(),
    }
}

/// Up to `limit` dead letters of `queue` (the work queue or its DLQ), left
/// in place: they are taken unacknowledged and returned when the channel
/// closes (on a quorum DLQ that counts as a delivery).
pub async fn list(
    broker: &Broker,
    schemas: &Schemas,
    queue: &str,
    limit: usize,
) -> Result<Vec<DeadLetter>> {
    let (dlq, _) = dlq_of(schemas, queue)?;
    let (conn, ch) = open(broker, "evreg dlq list").await?;
    let mut out = Vec::new();
    while out.len() < limit {
        let got = ch
            .basic_get(dlq.as_str().into(), BasicGetOptions::default())
            .await
            .map_err(|e| broker.error(&format!("cannot read {dlq}"), e))?;
        match got {
            Some(g) => out.push(read(&g)),
            None => break,
        }
    }
    let _ = conn.close(200, "listed".into()).await;
    Ok(out)
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    pub replayed: usize,
    /// Dead letters left in the DLQ, with why (still invalid under the current schema).
    pub kept: Vec<(DeadLetter, String)>,
}

/// Moves up to `limit` dead letters back to their work queue, each
/// re-validated against the current schema first; one that is still
/// invalid stays in the DLQ. Attempts start again at 1.
pub async fn replay(
    broker: &Broker,
    schemas: &Schemas,
    queue: &str,
    limit: usize,
) -> Result<Replayed> {
    let (dlq, work) = dlq_of(schemas, queue)?;
    let (conn, ch) = open(broker, "evreg dlq replay").await?;
    let out = conn
        .create_channel()
        .await
        .map_err(|e| broker.error("cannot open a channel", e))?;
    out.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| broker.error("cannot enable publisher confirms", e))?;
    let mut done = Replayed::default();
    while done.replayed + done.kept.len() < limit {
        let got = ch
            .basic_get(dlq.as_str().into(), BasicGetOptions::default())
            .await
            .map_err(|e| broker.error(&format!("cannot read {dlq}"), e))?;
        let Some(g) = got else { break };
        let letter = read(&g);
        let verdict = serde_json::from_slice(&g.delivery.data)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| schemas.check(&v).map_err(|e| e.to_string()));
        if let Err(why) = verdict {
            // Held unacknowledged until the channel closes, so the next get
            // moves on instead of returning it again.
            done.kept.push((letter, why));
            continue;
        }
        let mut kept = FieldTable::default();
        for (k, v) in own_headers(&g.delivery.properties).inner() {
            if ![REASON_HEADER, ERROR_HEADER, QUEUE_HEADER, ATTEMPT_HEADER].contains(&k.as_str()) {
                kept.insert(k.clone(), v.clone());
            }
        }
        let mut headers = kept;
        put_int(&mut headers, ATTEMPT_HEADER, 1);
        if let Some(rk) = &letter.routing_key {
            put_str(&mut headers, ROUTING_KEY_HEADER, rk);
        }
        let target = letter.queue.clone().unwrap_or_else(|| work.clone());
        let props = g.delivery.properties.clone().with_headers(headers);
        publish_confirmed(&out, &target, &g.delivery.data, props)
            .await
            .map_err(|e| broker.error(&format!("cannot replay to {target}"), e))?;
        g.delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(|e| broker.error("cannot ack the dead letter", e))?;
        done.replayed += 1;
    }
    let _ = conn.close(200, "replayed".into()).await;
    Ok(done)
}
