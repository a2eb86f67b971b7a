//! `evreg pull`: writes a registry's subjects as a schema directory, plus `evreg.lock` (ids and hashes) that codegen reads offline.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use evreg_codegen::write_if_changed;
use evreg_core::RoutingKey;
use evreg_core::layout::{Lock, LockEntry};
use evreg_server::store::sha256_hex;

use crate::exit;
use crate::remote::{Registry, token};

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The registry, e.g. http://127.0.0.1:8081.
    #[arg(long, env = "EVREG_REGISTRY")]
    registry: String,
    /// Where to write `<routing key>/vN.json` and `evreg.lock`.
    #[arg(long, default_value = "schemas")]
    out: PathBuf,
    /// Only subjects starting with this prefix.
    #[arg(long, default_value = "")]
    subject_prefix: String,
    /// Bearer token (default: $EVREG_TOKEN).
    #[arg(long)]
    token: Option<String>,
}

/// One version's id and schema, as pulled.
fn fetch(registry: &Registry, subject: &str, version: u64) -> Result<(u64, serde_json::Value)> {
    let v = registry.version(subject, version)?;
    let schema = serde_json::from_str(&v.schema)
        .map_err(|e| anyhow!("{subject} v{version}: the registry's schema is not JSON: {e}"))?;
    Ok((u64::try_from(v.id)?, schema))
}

pub fn run(a: &PullArgs, out: &mut dyn Write) -> Result<i32> {
    let registry = Registry::new(&a.registry, token(&a.token))?;
    let subjects = registry.subjects()?;
    let mut lock = Vec::new();
    let (mut keys, mut skipped) = (0, Vec::new());
    for subject in subjects.iter().filter(|s| s.starts_with(&a.subject_prefix)) {
        // The directory layout is by routing key, plus shared files that
        // versions reference (subjects named by their relative path, as push
        // registers them); other subject names have no place in it.
        if subject.parse::<RoutingKey>().is_err() {
            if !is_shared_file(subject) {
                skipped.push(subject.as_str());
                continue;
            }
            // A directory holds one copy of a shared file: the latest.
            let Some(version) = registry.versions(subject)?.into_iter().max() else {
                continue;
            };
            let (id, schema) = fetch(&registry, subject, version)?;
            let text = format!("{}\n", serde_json::to_string_pretty(&schema)?);
            write_if_changed(&a.out.join(subject), &text).map_err(|e| anyhow!("{e}"))?;
            lock.push(LockEntry {
                subject: subject.clone(),
                version: u32::try_from(version)?,
                id,
                sha256: Some(sha256_hex(text.as_bytes())),
            });
            continue;
        }
        keys += 1;
        for version in registry.versions(subject)? {
            let (id, schema) = fetch(&registry, subject, version)?;
            let text = format!("{}\n", serde_json::to_string_pretty(&schema)?);
            let path = a.out.join(subject).join(format!("v{version}.json"));
            write_if_changed(&path, &text).map_err(|e| anyhow!("{e}"))?;
            lock.push(LockEntry {
                subject: subject.clone(),
                version: u32::try_from(version)?,
                id,
                sha256: Some(sha256_hex(text.as_bytes())),
            });
        }
    }
    // The lock file last: it names only files already in place.
    let count = lock.len();
    let lock = Lock {
        registry: Some(a.registry.clone()),
        subjects: lock,
    };
    write_if_changed(&a.out.join(Lock::FILE), &lock.to_text()).map_err(|e| anyhow!("{e}"))?;
    writeln!(
        out,
        "pulled {keys} routing keys, {} versions into {}",
        count,
        a.out.display()
    )?;
    if !skipped.is_empty() {
        writeln!(
            out,
            "skipped subjects that are not routing keys: {}",
            skipped.join(", ")
        )?;
    }
    Ok(exit::OK)
}

/// A subject named like a relative `.json` path inside the directory (`common/money.json`).
fn is_shared_file(subject: &str) -> bool {
    subject.ends_with(".json")
        && !subject.starts_with('/')
        && subject
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && subject
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}
