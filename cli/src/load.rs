//! The real file system as a layout `Source`, and thin wrappers the commands use.

use std::path::Path;

use anyhow::{Result, anyhow};
use evreg_core::SchemaSet;
use evreg_core::layout;
use evreg_core::roots::{Roots, SchemaRoot};
use serde_json::Value;

pub use evreg_codegen::Disk;

/// Reads and parses a JSON file; errors name the file, line and column.
pub fn read_json(path: &Path) -> Result<Value> {
    layout::read_json(&Disk, path).map_err(|e| anyhow!("{e}"))
}

/// `--schema-root`, shared by every command that loads schemas.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RootArgs {
    /// Where a `$ref` looks when the files given do not hold its target
    /// (repeatable, searched in order): a directory whose JSON files are known
    /// by their paths and the `$id`s they declare, or `URI=DIR` to mount a
    /// directory at a URI prefix (`http://localhost:1234/=remotes/`).
    #[arg(long = "schema-root", value_name = "DIR|URI=DIR", value_parser = SchemaRoot::parse)]
    pub schema_root: Vec<SchemaRoot>,
}

impl RootArgs {
    pub fn roots(&self) -> Roots {
        Roots::new(self.schema_root.clone())
    }
}

/// Loads a schema file and every file its references reach, through `roots`.
pub fn load_schema(roots: &Roots, path: &Path) -> Result<SchemaSet> {
    roots.load(&Disk, path).map_err(|e| anyhow!("{e}"))
}
