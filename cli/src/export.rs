//! `evreg export asyncapi`: an AsyncAPI 3.0 document per service, from the schema directory.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use evreg_core::asyncapi;
use evreg_core::catalog::Catalog;
use evreg_core::layout::SchemaDir;

use crate::exit;
use crate::load::{Disk, RootArgs};

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// AsyncAPI 3.0: channels per routing key and consumed queue, messages per version (whole, draft-07), AMQP bindings, DLQ and retry as x-evreg-*.
    Asyncapi {
        /// Only this service's document, on standard output.
        #[arg(long)]
        service: Option<String>,
        /// Without --service: write `<service>.asyncapi.json` for every service here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The virtual host in the AMQP bindings (default: evreg.toml's, else `/`).
        #[arg(long)]
        vhost: Option<String>,
        #[arg(long, default_value = "schemas", value_name = "DIR")]
        dir: PathBuf,
        #[command(flatten)]
        roots: RootArgs,
    },
}

pub fn run(cmd: &ExportCommand, out: &mut dyn Write) -> Result<i32> {
    let ExportCommand::Asyncapi {
        service,
        out: out_dir,
        vhost,
        dir,
        roots,
    } = cmd;
    let d = SchemaDir::load_with(&Disk, dir, &roots.schema_root).map_err(|e| anyhow!("{e}"))?;
    let catalog = Catalog::from_schema_dir(&d);
    let vhost = vhost
        .as_deref()
        .or(d.config.vhost.as_deref())
        .unwrap_or("/");
    match (service, out_dir) {
        (Some(s), _) => {
            let doc = asyncapi::document(&catalog, s, vhost)?;
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        (None, Some(o)) => {
            std::fs::create_dir_all(o).map_err(|e| anyhow!("{}: {e}", o.display()))?;
            for s in &d.config.services {
                let doc = asyncapi::document(&catalog, &s.name, vhost)?;
                let path = o.join(format!("{}.asyncapi.json", s.name));
                std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
                    .map_err(|e| anyhow!("{}: {e}", path.display()))?;
                writeln!(out, "wrote {}", path.display())?;
            }
        }
        (None, None) => {
            bail!("give --service NAME (to standard output) or --out DIR (every service)")
        }
    }
    Ok(exit::OK)
}
