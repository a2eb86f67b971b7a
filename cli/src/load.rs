//! Loading schema files from disk into a `SchemaSet`, following relative `$ref`s to sibling files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use evreg_core::schema::{MAX_DEPTH, SchemaSet, resolve_uri};
use serde_json::Value;

/// Largest schema file read (a 10 MB schema is fine; a runaway file is not).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most files one schema may pull in through `$ref`.
const MAX_FILES: usize = 1_000;

/// Reads and parses a JSON file; errors name the file, line and column.
pub fn read_json(path: &Path) -> Result<Value> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.len() > MAX_FILE_BYTES {
        bail!(
            "{}: file is {} bytes; at most {MAX_FILE_BYTES} are read",
            path.display(),
            meta.len()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse_json(&path.display().to_string(), &text)
}

/// Parses JSON text; the error names `origin`, line and column.
pub fn parse_json(origin: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            anyhow!(
                "{origin}: line {} column {}: JSON nests deeper than {MAX_DEPTH} levels",
                e.line(),
                e.column()
            )
        } else {
            anyhow!(
                "{origin}: line {} column {}: invalid JSON: {e}",
                e.line(),
                e.column()
            )
        }
    })
}

/// The `file://` URI of a path.
pub fn file_uri(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let s = abs.to_string_lossy().replace('\\', "/");
    if s.starts_with('/') {
        format!("file://{s}")
    } else {
        format!("file:///{s}")
    }
}

fn uri_path(uri: &str) -> Option<PathBuf> {
    uri.strip_prefix("file://")
        .map(|p| PathBuf::from(p.split('#').next().unwrap_or(p)))
}

/// Loads a schema file and every local file its `$ref`s reach.
pub fn load_schema(path: &Path) -> Result<SchemaSet> {
    let root = read_json(path)?;
    let uri = file_uri(path);
    let mut set = SchemaSet::new(&uri, root).map_err(|e| anyhow!("{e}"))?;
    let mut seen: BTreeSet<String> = BTreeSet::from([uri.clone()]);
    let mut queue = vec![uri];
    while let Some(doc_uri) = queue.pop() {
        let doc = set
            .documents()
            .find(|(u, _)| *u == doc_uri)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        for target in external_refs(&doc_uri, &doc) {
            if seen.contains(&target) {
                continue;
            }
            seen.insert(target.clone());
            let Some(file) = uri_path(&target) else {
                continue;
            };
            if !file.is_file() {
                continue;
            }
            if seen.len() > MAX_FILES {
                bail!(
                    "{}: $refs reach more than {MAX_FILES} files",
                    path.display()
                );
            }
            let value = read_json(&file)?;
            set.add(&target, value).map_err(|e| anyhow!("{e}"))?;
            queue.push(target);
        }
    }
    Ok(set)
}

/// Absolute URIs (without fragment) of documents other than `doc_uri` that `doc` refers to.
fn external_refs(doc_uri: &str, doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, String)> = vec![(doc, doc_uri.to_owned())];
    while let Some((v, base)) = stack.pop() {
        match v {
            Value::Object(m) => {
                let base = match m.get("$id").and_then(Value::as_str) {
                    Some(id) if !id.starts_with('#') => resolve_uri(&base, id),
                    _ => base,
                };
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    let abs = resolve_uri(&base, r);
                    let res = abs.split('#').next().unwrap_or(&abs).to_owned();
                    if res != doc_uri && res != base.split('#').next().unwrap_or(&base) {
                        out.push(res);
                    }
                }
                for (k, child) in m {
                    if !matches!(k.as_str(), "enum" | "const" | "default" | "examples") {
                        stack.push((child, base.clone()));
                    }
                }
            }
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, base.clone()))),
            _ => {}
        }
    }
    out
}
