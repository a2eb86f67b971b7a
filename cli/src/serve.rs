//! `evreg serve`: the registry server on SQLite, optionally importing a schema directory at start.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use evreg_core::layout::SchemaDir;
use evreg_server::{AppState, Store, serve};

use crate::exit;
use crate::load::Disk;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The database: `sqlite://PATH` (created when missing) or `sqlite::memory:`.
    #[arg(long, default_value = "sqlite://evreg.db")]
    db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Register every version of this schema directory at start (idempotent);
    /// its evreg.toml sets the default compatibility.
    #[arg(long, value_name = "DIR")]
    import: Option<PathBuf>,
    /// Listen on a non-loopback address without authentication.
    #[arg(long)]
    insecure: bool,
}

pub fn run(a: &ServeArgs, out: &mut dyn Write) -> Result<i32> {
    if !a.listen.ip().is_loopback() && !a.insecure {
        bail!(
            "--listen {}: anonymous access is only served on a loopback address; bearer tokens are not implemented yet, so pass --insecure to serve {} without authentication",
            a.listen,
            a.listen.ip()
        );
    }
    if !a.db.starts_with("sqlite:") {
        bail!(
            "--db {}: only sqlite://PATH (or sqlite::memory:) is supported so far",
            a.db
        );
    }
    let layout = match &a.import {
        Some(dir) => Some(SchemaDir::load(&Disk, dir).map_err(|e| anyhow!("{e}"))?),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info".into()),
            )
            .try_init();
        let store = Store::open(&a.db)
            .await
            .with_context(|| format!("--db {}: cannot open", a.db))?;
        let mut state = AppState::new(store);
        if let Some(layout) = &layout {
            state.default_mode = layout.config.compatibility.mode;
            state.default_policy = layout.config.compatibility.policy;
            let added = state
                .import(layout)
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
    })
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
