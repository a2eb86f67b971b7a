//! The real file system as a layout `Source`, and thin wrappers the commands use.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use evreg_core::SchemaSet;
use evreg_core::layout::{self, MAX_FILE_BYTES, Source};
use serde_json::Value;

/// Reads files from disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Source for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "file is {} bytes; at most {MAX_FILE_BYTES} are read",
                meta.len()
            ));
        }
        std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
    }

    fn list(&self, dir: &Path) -> Result<Vec<(String, bool)>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list: {e}"))?;
        let mut out = Vec::new();
        for e in entries {
            let e = e.map_err(|e| format!("cannot list: {e}"))?;
            out.push((
                e.file_name().to_string_lossy().into_owned(),
                e.path().is_dir(),
            ));
        }
        Ok(out)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Reads and parses a JSON file; errors name the file, line and column.
pub fn read_json(path: &Path) -> Result<Value> {
    layout::read_json(&Disk, path).map_err(|e| anyhow!("{e}"))
}

/// Loads a schema file and every local file its `$ref`s reach.
pub fn load_schema(path: &Path) -> Result<SchemaSet> {
    layout::load_schema(&Disk, path).map_err(|e| anyhow!("{e}"))
}
