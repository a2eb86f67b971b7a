//! `evreg gen`: typed Rust events outside build.rs, from a schema directory or a single schema file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::ValueEnum;
use evreg_codegen::{Config, DateTimeCrate};

use crate::exit;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateTime {
    /// `String`
    None,
    /// `chrono::DateTime<Utc>`
    Chrono,
    /// `time::OffsetDateTime`
    Time,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// A schema directory (evreg.toml, envelope.json, <routing.key>/vN.json).
    #[arg(long, conflicts_with = "schema", required_unless_present = "schema")]
    schemas: Option<PathBuf>,
    /// A single JSON Schema file, with the files its $refs reach.
    #[arg(long)]
    schema: Option<PathBuf>,
    /// Where to write the generated Rust (`-` for standard output).
    #[arg(long, default_value = "-")]
    out: PathBuf,
    /// Only routing keys matching this binding pattern, like `auth.#`.
    #[arg(long, value_name = "PATTERN")]
    routing_keys: Option<String>,
    /// Crate for `format: date-time` (and `date` with chrono).
    #[arg(long, value_enum, default_value = "none")]
    datetime: DateTime,
    /// `format: uuid` → `uuid::Uuid`.
    #[arg(long)]
    uuid: bool,
    /// `format: uri` → `url::Url`.
    #[arg(long)]
    url: bool,
    /// Extra derive on every type (repeatable).
    #[arg(long, value_name = "PATH")]
    derive: Vec<String>,
    /// Derive schemars::JsonSchema on every type.
    #[arg(long)]
    schemars: bool,
    /// Use serde_json::Value, with a warning, where a construct has no Rust type.
    #[arg(long)]
    value_fallback: bool,
    #[command(flatten)]
    roots: crate::load::RootArgs,
}

pub fn run(a: &GenArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32> {
    let mut c = Config::new()
        .datetime(match a.datetime {
            DateTime::None => DateTimeCrate::None,
            DateTime::Chrono => DateTimeCrate::Chrono,
            DateTime::Time => DateTimeCrate::Time,
        })
        .uuid(a.uuid)
        .url(a.url)
        .schemars(a.schemars)
        .value_fallback(a.value_fallback);
    for d in &a.derive {
        c = c.derive(d);
    }
    for r in &a.roots.schema_root {
        c = c.schema_root(r.to_string());
    }
    if let Some(p) = &a.routing_keys {
        c = c.routing_keys(p);
    }
    c = match (&a.schemas, &a.schema) {
        (Some(d), _) => c.schemas_dir(d),
        (None, Some(f)) => c.schema_file(f),
        (None, None) => return Err(anyhow!("give --schemas DIR or --schema FILE")),
    };
    let (generated, _) = c.generate().map_err(|e| anyhow!("{e}"))?;
    for w in &generated.warnings {
        writeln!(err, "warning: {w}")?;
    }
    if a.out.as_os_str() == "-" {
        out.write_all(generated.code.as_bytes())?;
    } else {
        std::fs::write(&a.out, &generated.code)
            .with_context(|| format!("{}: cannot write", a.out.display()))?;
    }
    Ok(exit::OK)
}
