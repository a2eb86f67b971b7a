//! `evreg serve`: the registry server on SQLite or PostgreSQL, optionally importing a schema directory at start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use std::sync::Arc;
use std::time::Duration;

use evreg_core::config::RegistryConfig;
use evreg_core::layout::SchemaDir;
use evreg_core::layout::registry_documents;
use evreg_server::{AppState, ImportVersion, Limits, Store, Tokens, serve};

use crate::exit;
use crate::load::Disk;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The database: `sqlite://PATH` (created when missing), `sqlite::memory:`
    /// or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, env = "EVREG_DB", default_value = "sqlite://evreg.db")]
    db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Register every version of this schema directory at start (idempotent);
    /// its evreg.toml sets the default compatibility.
    #[arg(long, value_name = "DIR")]
    import: Option<PathBuf>,
    /// The topology (`evreg.toml`) for `/topology` and `/validate`, when not
    /// taken from the `--import` directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Bearer tokens file (TOML, SHA-256 hashes; see `evreg token`). Without
    /// it, access is anonymous and allowed on a loopback address only.
    #[arg(long, value_name = "FILE", env = "EVREG_TOKENS")]
    tokens: Option<PathBuf>,
    /// With --tokens, let reads (lookups, compatibility checks, validation)
    /// through without a token; writes still need one.
    #[arg(long, requires = "tokens")]
    open_reads: bool,
    /// Listen on a non-loopback address without authentication.
    #[arg(long)]
    insecure: bool,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// Log lines as human text or as one JSON object per line (for log shippers).
    #[arg(long, value_enum, default_value = "text", env = "EVREG_LOG_FORMAT")]
    log_format: LogFormat,
    /// Longest a request may run, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Schema roots for `--import` (see `evreg check --help`).
    #[command(flatten)]
    roots: crate::load::RootArgs,
}

pub fn run(a: &ServeArgs, out: &mut dyn Write) -> Result<i32> {
    let tokens = match &a.tokens {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--tokens {}: cannot read", path.display()))?;
            let t =
                Tokens::parse(&text).map_err(|e| anyhow!("--tokens {}: {e}", path.display()))?;
            if t.is_empty() {
                bail!("--tokens {}: the file lists no tokens", path.display());
            }
            Some(t)
        }
        None => None,
    };
    if tokens.is_none() && !a.listen.ip().is_loopback() && !a.insecure {
        bail!(
            "--listen {}: without --tokens, anonymous access is only served on a loopback address; give --tokens FILE, or pass --insecure to serve {} without authentication",
            a.listen,
            a.listen.ip()
        );
    }
    let layout = match &a.import {
        Some(dir) => Some(
            SchemaDir::load_with(&Disk, dir, &a.roots.schema_root).map_err(|e| anyhow!("{e}"))?,
        ),
        None => None,
    };
    let plan = match &layout {
        Some(l) => import_plan(l)?,
        None => Vec::new(),
    };
    let (topology, envelope) = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--config {}: cannot read", path.display()))?;
            let config = RegistryConfig::parse(&text)
                .map_err(|e| anyhow!("--config {}: {e}", path.display()))?;
            // The envelope file is named relative to the config's directory.
            let envelope = match &config.envelope {
                Some(file) => {
                    let base = path.parent().unwrap_or(std::path::Path::new("."));
                    Some(crate::load::load_schema(
                        &a.roots.roots(),
                        &base.join(file),
                    )?)
                }
                None => None,
            };
            (Some(config), envelope)
        }
        None => (
            layout.as_ref().map(|l| l.config.clone()),
            layout.as_ref().and_then(|l| l.envelope.clone()),
        ),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = rt.block_on(async {
        let filter = || {
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into())
        };
        let logs = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(filter());
        let _ = match a.log_format {
            LogFormat::Text => logs.try_init(),
            LogFormat::Json => logs.json().flatten_event(true).try_init(),
        };
        let store = Store::open(&a.db)
            .await
            .with_context(|| format!("--db {}: cannot open", redact(&a.db)))?;
        let limits = Limits {
            body_bytes: a.max_body,
            request_timeout: Duration::from_secs(a.timeout.max(1)),
            ..Limits::default()
        };
        let mut state = AppState::with_limits(store, limits);
        state.tokens = tokens.map(Arc::new);
        state.open_reads = a.open_reads;
        state.loopback_only = a.listen.ip().is_loopback();
        if let Some(t) = &topology {
            state.default_mode = t.compatibility.mode;
            state.default_policy = t.compatibility.policy;
            state.topology = Some(Arc::new(t.clone()));
        }
        state.envelope = envelope.map(Arc::new);
        if let Some(layout) = &layout {
            let added = state
                .import(&plan)
                .await
                .map_err(|e| anyhow!("importing {}: {e}", layout.root.display()))?;
            writeln!(
                out,
                "imported {} routing keys from {} ({added} new versions)",
                layout.subjects.len(),
                layout.root.display()
            )?;
        }
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .with_context(|| format!("--listen {}: cannot bind", a.listen))?;
        writeln!(
            out,
            "evreg registry listening on http://{}",
            listener.local_addr()?
        )?;
        out.flush()?;
        serve(listener, state, shutdown())
            .await
            .context("server failed")?;
        writeln!(out, "evreg registry stopped")?;
        Ok(exit::OK)
    });
    // A validation still running on the blocking pool (a pathological schema
    // stored before the size check existed) must not hold the process open.
    rt.shutdown_timeout(Duration::from_secs(5));
    result
}

/// Every version of a schema directory as the documents the registry stores.
pub fn import_plan(layout: &SchemaDir) -> Result<Vec<ImportVersion>> {
    if let Some(p) = layout.problems.first() {
        bail!(
            "{}: {} (run `evreg check` first)",
            p.path.display(),
            p.message
        );
    }
    let mut plan = Vec::new();
    for s in &layout.subjects {
        for v in &s.versions {
            let set = v
                .schema
                .as_ref()
                .ok_or_else(|| anyhow!("{}: not loaded", v.path.display()))?;
            plan.push(ImportVersion {
                subject: s.key.as_str().to_owned(),
                file: v.path.display().to_string(),
                documents: registry_documents(&Disk, &layout.root, &layout.roots, set)
                    .map_err(|e| anyhow!("{e}"))?,
            });
        }
    }
    Ok(plan)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..s + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
