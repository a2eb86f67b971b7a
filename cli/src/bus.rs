//! `evreg topology`, `publish`, `consume`, `tail` and `dlq`: the bus from the shell, on `evreg-bus`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use evreg_bus::consume::{Handled, HandlerError, tail};
use evreg_bus::topology::{Management, apply, diff_amqp, diff_management};
use evreg_bus::{Broker, Catalog, Consumer, Context as EventContext, Publisher, Schemas, dlq};
use evreg_core::layout::SchemaDir;
use evreg_core::topology::{Plan, Severity};
use serde_json::Value;

use crate::exit;
use crate::load::{Disk, RootArgs, read_json};

/// Where the topology and schemas come from, and the broker.
#[derive(Debug, Clone, clap::Args)]
pub struct BusArgs {
    /// The broker: `amqp://user:password@host:5672/vhost` (without a path,
    /// the vhost of evreg.toml, else `/`).
    #[arg(long, env = "EVREG_AMQP_URL", value_name = "URL")]
    amqp: String,
    /// The schema directory with evreg.toml.
    #[arg(long, default_value = "schemas", value_name = "DIR")]
    dir: PathBuf,
    /// Take the routing keys' schemas from this registry (every live
    /// version, fetched once at start) instead of the directory, which then
    /// only gives evreg.toml and the envelope.
    #[arg(long, env = "EVREG_REGISTRY", value_name = "URL")]
    registry: Option<String>,
    /// Bearer token for --registry (default: $EVREG_TOKEN).
    #[arg(long)]
    token: Option<String>,
    #[command(flatten)]
    roots: RootArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum TopologyCommand {
    /// Declare the exchanges, queues (work, dead-letter, retry wait) and bindings of evreg.toml; idempotent, and it refuses to touch a broker that differs.
    Apply {
        #[command(flatten)]
        bus: BusArgs,
        /// The management API (`http://user:password@host:15672`), to report which bindings were new.
        #[arg(long, value_name = "URL")]
        management: Option<String>,
    },
    /// Report every difference between evreg.toml and the broker; exit 1 on drift.
    Diff {
        #[command(flatten)]
        bus: BusArgs,
        /// The management API: without it only what AMQP declares reveal is compared (no bindings).
        #[arg(long, value_name = "URL")]
        management: Option<String>,
    },
    /// Write the topology as a RabbitMQ definitions file (for `rabbitmqctl import_definitions`).
    Export {
        /// The only format: rabbitmq-definitions.
        #[arg(long, default_value = "rabbitmq-definitions")]
        format: String,
        /// The virtual host every object is put in (default: evreg.toml's, else `/`).
        #[arg(long)]
        vhost: Option<String>,
        #[arg(long, default_value = "schemas", value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    bus: BusArgs,
    /// Whole envelope events (JSON files); `event_id` and `timestamp` are filled in when absent.
    #[arg(required = true, value_name = "EVENT.json")]
    events: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ConsumeArgs {
    /// The work queue.
    queue: String,
    #[command(flatten)]
    bus: BusArgs,
    /// Run through `sh -c` once per event, the event on standard input: exit
    /// 0 acks, anything else retries (then the DLQ). EVREG_ROUTING_KEY,
    /// EVREG_ATTEMPT, EVREG_EVENT_ID and EVREG_QUEUE are set.
    #[arg(long, value_name = "CMD")]
    exec: String,
    /// Acknowledge and count events of types the catalog has no schema for, instead of dead-lettering them.
    #[arg(long)]
    ack_unknown: bool,
    /// Stop after this many events (for scripts and tests).
    #[arg(long)]
    max_events: Option<u64>,
    /// Commands running at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
}

#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// The queue whose bindings to copy.
    queue: String,
    #[command(flatten)]
    bus: BusArgs,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
}

#[derive(Debug, clap::Subcommand)]
pub enum DlqCommand {
    /// Show dead letters with their reasons, leaving them in place.
    List {
        /// The work queue or its dead-letter queue.
        queue: String,
        #[command(flatten)]
        bus: BusArgs,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Move dead letters back to their work queue, each re-validated against the current schema first.
    Replay {
        queue: String,
        #[command(flatten)]
        bus: BusArgs,
        #[arg(long, default_value_t = usize::MAX)]
        limit: usize,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn load_dir(dir: &Path, roots: &RootArgs) -> Result<SchemaDir> {
    SchemaDir::load_with(&Disk, dir, &roots.schema_root).map_err(|e| anyhow!("{e}"))
}

/// The topology's problems: warnings printed to `warnings`, errors fatal (all of them in the error).
fn plan_of(dir: &SchemaDir, warnings: &mut dyn Write) -> Result<Plan> {
    let file = dir.root.join("evreg.toml");
    let problems = Plan::problems(&dir.config);
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| format!("{}: {p}", file.display()))
        .collect();
    if !errors.is_empty() {
        bail!("the topology has errors:\n{}", errors.join("\n"));
    }
    for p in &problems {
        writeln!(warnings, "{}: {p}", file.display())?;
    }
    Ok(Plan::from_config(&dir.config))
}

struct Bus {
    broker: Broker,
    schemas: Arc<Schemas>,
}

fn connect(a: &BusArgs) -> Result<Bus> {
    let dir = load_dir(&a.dir, &a.roots)?;
    let broker = Broker::new(&a.amqp, dir.config.vhost.as_deref())?;
    let catalog = Catalog::from_schema_dir(&dir);
    let schemas = match &a.registry {
        None => Schemas::new(catalog)?,
        Some(url) => Schemas::from_registry(catalog, url, crate::remote::token(&a.token))?,
    };
    Ok(Bus {
        broker,
        schemas: Arc::new(schemas),
    })
}

pub fn topology(cmd: &TopologyCommand, out: &mut dyn Write) -> Result<i32> {
    match cmd {
        TopologyCommand::Export { format, vhost, dir } => {
            if format != "rabbitmq-definitions" {
                bail!("--format {format:?}: expected rabbitmq-definitions");
            }
            let d = load_dir(dir, &RootArgs::default())?;
            // Standard output is the definitions file: warnings go to standard error.
            let plan = plan_of(&d, &mut std::io::stderr())?;
            let vhost = vhost
                .as_deref()
                .or(d.config.vhost.as_deref())
                .unwrap_or("/");
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&plan.definitions(vhost))?
            )?;
            Ok(exit::OK)
        }
        TopologyCommand::Apply { bus, management } => {
            let dir = load_dir(&bus.dir, &bus.roots)?;
            let plan = plan_of(&dir, out)?;
            let broker = Broker::new(&bus.amqp, dir.config.vhost.as_deref())?;
            let api = management.as_deref().map(Management::new).transpose()?;
            let missing_bindings = match &api {
                Some(api) => diff_management(api, broker.vhost(), &plan)?
                    .into_iter()
                    .filter(|d| d.to_string().starts_with("missing binding"))
                    .count(),
                None => 0,
            };
            let applied = runtime()?.block_on(apply(&broker, &plan))?;
            for c in &applied.created {
                writeln!(out, "created {c}")?;
            }
            let vhost = broker.vhost();
            if applied.created.is_empty() && api.is_some() && missing_bindings == 0 {
                writeln!(
                    out,
                    "nothing changed: {} exchanges, {} queues and {} bindings in vhost {vhost:?} already match the file",
                    plan.exchanges.len(),
                    plan.queues.len(),
                    plan.bindings.len()
                )?;
            } else if applied.created.is_empty() && api.is_none() {
                writeln!(
                    out,
                    "nothing changed: {} exchanges and {} queues in vhost {vhost:?} already match the file; {} bindings declared (AMQP cannot tell whether they existed: --management can)",
                    plan.exchanges.len(),
                    plan.queues.len(),
                    applied.bindings
                )?;
            } else {
                writeln!(
                    out,
                    "applied to vhost {vhost:?}: {} created, {} already as the file says; {} bindings ({} new)",
                    applied.created.len(),
                    applied.unchanged,
                    applied.bindings,
                    if api.is_some() {
                        missing_bindings.to_string()
                    } else {
                        "unknown without --management".into()
                    }
                )?;
            }
            Ok(exit::OK)
        }
        TopologyCommand::Diff { bus, management } => {
            let dir = load_dir(&bus.dir, &bus.roots)?;
            let plan = plan_of(&dir, out)?;
            let broker = Broker::new(&bus.amqp, dir.config.vhost.as_deref())?;
            let drift = match management {
                Some(url) => diff_management(&Management::new(url)?, broker.vhost(), &plan)?,
                None => runtime()?.block_on(diff_amqp(&broker, &plan))?,
            };
            for d in &drift {
                writeln!(out, "{d}")?;
            }
            let what = if management.is_some() {
                "exchanges, queues, arguments and bindings"
            } else {
                "exchanges and queues over AMQP (bindings need --management)"
            };
            if drift.is_empty() {
                writeln!(
                    out,
                    "no drift: the {what} of vhost {:?} match the file",
                    broker.vhost()
                )?;
                Ok(exit::OK)
            } else {
                writeln!(
                    out,
                    "{} difference(s) in vhost {:?} ({what} compared)",
                    drift.len(),
                    broker.vhost()
                )?;
                Ok(exit::PROBLEM)
            }
        }
    }
}

pub fn publish(a: &PublishArgs, out: &mut dyn Write) -> Result<i32> {
    let bus = connect(&a.bus)?;
    // Every file is read and validated before anything is sent.
    let mut events = Vec::new();
    for f in &a.events {
        let v = read_json(f)?;
        let mut filled = v.clone();
        if let Some(o) = filled.as_object_mut() {
            o.entry("event_id")
                .or_insert_with(|| bus.schemas.new_event_id().into());
            o.entry("timestamp")
                .or_insert_with(|| evreg_bus::schemas::now_rfc3339().into());
        }
        bus.schemas
            .check(&filled)
            .map_err(|e| anyhow!("{}: {e}; nothing was sent", f.display()))?;
        events.push((f, filled));
    }
    let publisher = Publisher::new(bus.broker.clone(), bus.schemas.clone());
    let rt = runtime()?;
    let mut code = exit::OK;
    for (f, v) in events {
        match rt.block_on(publisher.publish_json(v)) {
            Ok(p) => writeln!(
                out,
                "published {} {} to {} ({})",
                p.routing_key, p.version, p.exchange, p.event_id
            )?,
            Err(e) => {
                writeln!(out, "{}: {e}", f.display())?;
                code = exit::PROBLEM;
            }
        }
    }
    rt.block_on(publisher.close());
    Ok(code)
}

#[derive(Debug)]
struct CommandFailed(String);

impl std::fmt::Display for CommandFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandFailed {}

async fn run_command(cmd: String, event: Value, ctx: EventContext) -> Result<(), HandlerError> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&cmd)
        .env("EVREG_ROUTING_KEY", &ctx.routing_key)
        .env("EVREG_ATTEMPT", ctx.attempt.to_string())
        .env("EVREG_EVENT_ID", ctx.event_id.clone().unwrap_or_default())
        .env("EVREG_QUEUE", &ctx.queue)
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CommandFailed(format!("cannot run {cmd:?}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let body = serde_json::to_vec(&event).expect("JSON value serialises");
        // A command that does not read its input is not an error.
        let _ = stdin.write_all(&body).await;
    }
    let status = child
        .wait()
        .await
        .map_err(|e| CommandFailed(format!("{cmd:?}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Box::new(CommandFailed(format!(
            "{cmd:?} exited with {status}"
        ))))
    }
}

pub fn consume(a: &ConsumeArgs, out: &mut dyn Write) -> Result<i32> {
    let bus = connect(&a.bus)?;
    let cmd = a.exec.clone();
    let (done_tx, done_rx) = tokio::sync::watch::channel(0u64);
    let max = a.max_events;
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let consumer = Consumer::new(bus.broker.clone(), bus.schemas.clone(), &a.queue)?
        .concurrency(a.concurrency)
        .prefetch(a.concurrency.clamp(1, 1000) as u16)
        .unhandled(if a.ack_unknown {
            evreg_bus::Unhandled::Ack
        } else {
            evreg_bus::Unhandled::DeadLetter
        })
        .on_any(move |event: Value, ctx| run_command(cmd.clone(), event, ctx))
        .observe(move |h: &Handled| {
            let _ = lines_tx.send(format!(
                "{} {} {} attempt {}: {}{}",
                h.outcome.as_str(),
                h.routing_key,
                h.version.as_deref().unwrap_or("?"),
                h.attempt,
                h.event_id.as_deref().unwrap_or("-"),
                h.error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
            done_tx.send_modify(|n| *n += 1);
        });
    let rt = runtime()?;
    let stop = async move {
        let mut rx = done_rx;
        let enough = async {
            match max {
                Some(m) => {
                    let _ = rx.wait_for(|n| *n >= m).await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = enough => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let handle = rt.spawn(consumer.run(stop));
    // Print outcomes as they come, until the consumer stops.
    loop {
        match lines_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => writeln!(out, "{line}")?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if handle.is_finished() => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    while let Ok(line) = lines_rx.try_recv() {
        writeln!(out, "{line}")?;
    }
    rt.block_on(handle)
        .map_err(|e| anyhow!("consumer: {e}"))??;
    Ok(exit::OK)
}

pub fn tail_cmd(a: &TailArgs, out: &mut dyn Write) -> Result<i32> {
    let bus = connect(&a.bus)?;
    let mut seen = 0u64;
    let count = a.count;
    runtime()?.block_on(tail(
        &bus.broker,
        &bus.schemas,
        &a.queue,
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
        |t| {
            let _ = writeln!(
                out,
                "{} {} {}",
                t.exchange,
                t.routing_key,
                String::from_utf8_lossy(&t.body)
            );
            let _ = out.flush();
            seen += 1;
            count.is_none_or(|c| seen < c)
        },
    ))?;
    Ok(exit::OK)
}

pub fn dlq_cmd(cmd: &DlqCommand, out: &mut dyn Write) -> Result<i32> {
    match cmd {
        DlqCommand::List { queue, bus, limit } => {
            let b = connect(bus)?;
            let letters = runtime()?.block_on(dlq::list(&b.broker, &b.schemas, queue, *limit))?;
            for l in &letters {
                writeln!(
                    out,
                    "{} {} reason={} attempts={} error={}",
                    l.event_id.as_deref().unwrap_or("-"),
                    l.routing_key.as_deref().unwrap_or("-"),
                    l.reason
                        .as_deref()
                        .unwrap_or("(dead-lettered by the broker)"),
                    l.attempts.map_or("-".into(), |a| a.to_string()),
                    l.error.as_deref().unwrap_or("-"),
                )?;
            }
            writeln!(out, "{} dead letter(s) shown", letters.len())?;
            Ok(exit::OK)
        }
        DlqCommand::Replay { queue, bus, limit } => {
            let b = connect(bus)?;
            let r = runtime()?.block_on(dlq::replay(&b.broker, &b.schemas, queue, *limit))?;
            for (l, why) in &r.kept {
                writeln!(out, "kept {}: {why}", l.event_id.as_deref().unwrap_or("-"))?;
            }
            writeln!(
                out,
                "replayed {}, kept {} (still invalid under the current schema)",
                r.replayed,
                r.kept.len()
            )?;
            Ok(if r.kept.is_empty() {
                exit::OK
            } else {
                exit::PROBLEM
            })
        }
    }
}
