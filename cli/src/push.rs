//! `evreg push`: registers every version of a schema directory with a registry, in order, idempotently, and says what was new.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use evreg_api::{ErrorBody, Registered, SchemaVersion};
use evreg_core::layout::{SchemaDir, registry_documents};

use crate::exit;
use crate::load::Disk;
use crate::remote::{Registry, schema_body, segment, token};

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The schema directory.
    #[arg(default_value = "schemas")]
    dir: PathBuf,
    /// The registry, e.g. http://127.0.0.1:8081.
    #[arg(long, env = "EVREG_REGISTRY")]
    registry: String,
    /// Bearer token (default: $EVREG_TOKEN).
    #[arg(long)]
    token: Option<String>,
    #[command(flatten)]
    roots: crate::load::RootArgs,
}

/// What happened to one version.
enum Outcome {
    New(u64, u64),
    Unchanged(u64, u64),
    Refused(String),
}

pub fn run(a: &PushArgs, out: &mut dyn Write) -> Result<i32> {
    let layout =
        SchemaDir::load_with(&Disk, &a.dir, &a.roots.schema_root).map_err(|e| anyhow!("{e}"))?;
    if let Some(p) = layout.problems.first() {
        bail!(
            "{}: {} (run `evreg check` first)",
            p.path.display(),
            p.message
        );
    }
    let registry = Registry::new(&a.registry, token(&a.token))?;
    let (mut new, mut unchanged, mut refused) = (0, 0, 0);
    let mut shared: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for s in &layout.subjects {
        let key = s.key.as_str();
        for v in &s.versions {
            let set = v
                .schema
                .as_ref()
                .ok_or_else(|| anyhow!("{}: not loaded", v.path.display()))?;
            // Shared files first, each as a subject of its own the version references.
            let docs = registry_documents(&Disk, &layout.root, &layout.roots, set)
                .map_err(|e| anyhow!("{e}"))?;
            let mut outcome = None;
            for doc in docs {
                if let Some((_, target)) =
                    doc.references.iter().find(|(_, t)| !shared.contains_key(t))
                {
                    bail!("{target} was not pushed before it was referenced");
                }
                let body = schema_body(&doc, &shared);
                match &doc.subject {
                    Some(subject) => match push_one(&registry, subject, &body)? {
                        Outcome::New(_, version) | Outcome::Unchanged(_, version) => {
                            shared.insert(subject.clone(), version);
                        }
                        Outcome::Refused(message) => {
                            bail!(
                                "{}: shared file {subject} refused: {message}",
                                v.path.display()
                            )
                        }
                    },
                    None => outcome = Some(push_one(&registry, key, &body)?),
                }
            }
            let outcome = outcome.ok_or_else(|| anyhow!("{}: no document", v.path.display()))?;
            let label = format!("{key} v{}", v.number);
            match outcome {
                Outcome::New(id, version) => {
                    new += 1;
                    writeln!(out, "{label}: new: id {id}, registry version {version}")?;
                    if version != u64::from(v.number) {
                        writeln!(
                            out,
                            "{label}: note: the registry numbers it version {version}"
                        )?;
                    }
                }
                Outcome::Unchanged(id, version) => {
                    unchanged += 1;
                    writeln!(
                        out,
                        "{label}: unchanged: id {id}, registry version {version}"
                    )?;
                }
                Outcome::Refused(message) => {
                    refused += 1;
                    writeln!(out, "{}: refused: {message}", v.path.display())?;
                    // Later versions of this key build on the refused one.
                    break;
                }
            }
        }
    }
    writeln!(out, "{new} new, {unchanged} unchanged, {refused} refused")?;
    Ok(if refused > 0 { exit::PROBLEM } else { exit::OK })
}

fn push_one(registry: &Registry, key: &str, body: &evreg_api::SchemaRequest) -> Result<Outcome> {
    let lookup = format!("POST /subjects/{key}");
    let found = registry.post(&format!("/subjects/{}", segment(key)), body)?;
    if found.ok() {
        let v: SchemaVersion = found.read(&lookup)?;
        return Ok(Outcome::Unchanged(v.id as u64, v.version as u64));
    }
    if found.status != 404 {
        bail!("{lookup}: {}", found.message());
    }
    let register = format!("POST /subjects/{key}/versions");
    let done = registry.post(&format!("/subjects/{}/versions", segment(key)), body)?;
    if done.status == 409 {
        let refused: ErrorBody = serde_json::from_value(done.body.clone())
            .map_err(|e| anyhow!("{register}: unexpected answer: {e}"))?;
        let mut message = refused.message;
        if let Some(change) = refused
            .evreg
            .as_ref()
            .and_then(|r| r.report.changes.first())
        {
            message.push_str(&format!("; witness: {}", change.witness));
        }
        return Ok(Outcome::Refused(message));
    }
    let done: Registered = done.read(&register)?;
    let version = match done.version {
        Some(v) => v,
        // A registry that answers only the id: ask which version it became.
        None => {
            let again = registry.post(&format!("/subjects/{}", segment(key)), body)?;
            again.read::<SchemaVersion>(&lookup)?.version
        }
    };
    Ok(Outcome::New(done.id as u64, version as u64))
}
