//! The real file system as a layout `Source`, and thin wrappers the commands use.

use std::path::Path;

use anyhow::{Result, anyhow};
use evreg_core::SchemaSet;
use evreg_core::layout;
use serde_json::Value;

pub use evreg_codegen::Disk;

/// Reads and parses a JSON file; errors name the file, line and column.
pub fn read_json(path: &Path) -> Result<Value> {
    layout::read_json(&Disk, path).map_err(|e| anyhow!("{e}"))
}

/// Loads a schema file and every local file its `$ref`s reach.
pub fn load_schema(path: &Path) -> Result<SchemaSet> {
    layout::load_schema(&Disk, path).map_err(|e| anyhow!("{e}"))
}
