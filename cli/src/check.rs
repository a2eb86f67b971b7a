//! `evreg check`: every routing key's versions in a schema directory, checked in order, and every example validated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use evreg_core::compat::{Prepared, check_versions_prepared};
use evreg_core::layout::{SchemaDir, SubjectDir, version_of};
use evreg_core::schema::{Validator, compose_message};
use evreg_core::{Mode, Policy, Report, SchemaSet, Verdict};
use serde::Serialize;
use serde_json::Value;

use crate::load::{Disk, RootArgs, read_json};
use crate::remote::{Registry, schema_body, segment, token};
use crate::{Format, exit};
use evreg_core::layout::registry_documents;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The schema directory (with an optional evreg.toml).
    #[arg(default_value = "schemas")]
    dir: PathBuf,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also fail when a version file present at this git revision was edited or deleted.
    #[arg(long, value_name = "REV")]
    against_git: Option<String>,
    /// Also check the directory against a registry (http://HOST:PORT): new
    /// versions must be compatible with what it holds, and versions it holds
    /// must not have been edited here.
    #[arg(long, value_name = "URL")]
    against: Option<String>,
    /// Bearer token for --against (default: $EVREG_TOKEN).
    #[arg(long)]
    token: Option<String>,
    /// Treat `unknown` verdicts as passing (by default they fail, with exit code 3).
    #[arg(long)]
    allow_unknown: bool,
    #[command(flatten)]
    roots: RootArgs,
}

/// One problem found, tied to a file (and a line when one is known).
#[derive(Debug, Clone, Serialize)]
struct Problem {
    file: String,
    line: usize,
    /// `incompatible`, `unknown`, `invalid-example`, `edited-version`, `layout`.
    kind: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct SubjectResult {
    routing_key: String,
    versions: u32,
    mode: Mode,
    policy: Policy,
    checks: Vec<VersionCheck>,
    examples: Vec<ExampleResult>,
}

#[derive(Debug, Serialize)]
struct VersionCheck {
    version: u32,
    report: Report,
}

#[derive(Debug, Serialize)]
struct ExampleResult {
    file: String,
    version: u32,
    valid: bool,
    errors: Vec<String>,
}

pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<i32> {
    let dir = &args.dir;
    if !dir.is_dir() {
        bail!("{}: not a directory", dir.display());
    }
    // Versions are loaded one routing key at a time, so memory stays flat on large registries.
    let mut layout =
        SchemaDir::scan_with(&Disk, dir, &args.roots.schema_root).map_err(|e| anyhow!("{e}"))?;
    let mut problems: Vec<Problem> = layout
        .problems
        .iter()
        .map(|p| Problem {
            file: p.path.display().to_string(),
            line: 1,
            kind: "layout",
            message: p.message.clone(),
        })
        .collect();
    let registry = match &args.against {
        Some(url) => Some(Registry::new(url, token(&args.token))?),
        None => None,
    };
    let mut results = Vec::new();
    let mut subjects = std::mem::take(&mut layout.subjects);
    for s in &mut subjects {
        s.load_versions(&Disk, &layout.roots)
            .map_err(|e| anyhow!("{e}"))?;
        results.push(check_subject(s, &layout, &mut problems)?);
        if let Some(r) = &registry {
            check_against(r, &layout, s, &mut problems)?;
        }
        s.unload_versions();
    }
    if let Some(rev) = &args.against_git {
        check_immutable(dir, rev, &mut problems)?;
    }
    let failing: Vec<&Problem> = problems
        .iter()
        .filter(|p| !(args.allow_unknown && p.kind == "unknown"))
        .collect();
    let code = if failing.iter().any(|p| p.kind != "unknown") {
        exit::PROBLEM
    } else if !failing.is_empty() {
        exit::UNKNOWN
    } else {
        exit::OK
    };
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "ok": code == exit::OK,
                "directory": dir.display().to_string(),
                "subjects": results,
                "problems": problems,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Github => {
            for p in &problems {
                let level = if p.kind == "unknown" && args.allow_unknown {
                    "warning"
                } else {
                    "error"
                };
                writeln!(
                    out,
                    "::{level} file={},line={},title=evreg {}::{}",
                    p.file,
                    p.line,
                    p.kind,
                    escape_gh(&p.message)
                )?;
            }
            writeln!(
                out,
                "evreg check: {} routing keys, {} problems",
                results.len(),
                problems.len()
            )?;
        }
        Format::Human => {
            for r in &results {
                let worst =
                    r.checks
                        .iter()
                        .map(|c| c.report.verdict)
                        .fold(Verdict::Compatible, |a, b| match (a, b) {
                            (Verdict::Incompatible, _) | (_, Verdict::Incompatible) => {
                                Verdict::Incompatible
                            }
                            (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
                            _ => Verdict::Compatible,
                        });
                let bad_examples = r.examples.iter().filter(|e| !e.valid).count();
                writeln!(
                    out,
                    "{:<34} v{:<3} {:<12} {} {}  examples {}/{}",
                    r.routing_key,
                    r.versions,
                    worst.as_str(),
                    r.mode,
                    r.policy,
                    r.examples.len() - bad_examples,
                    r.examples.len()
                )?;
            }
            for p in &problems {
                writeln!(out, "{}:{}: {}: {}", p.file, p.line, p.kind, p.message)?;
            }
            writeln!(
                out,
                "{} routing keys, {} problems: {}",
                results.len(),
                problems.len(),
                match code {
                    exit::OK => "ok",
                    exit::UNKNOWN => "undecided (exit 3)",
                    _ => "FAILED",
                }
            )?;
        }
    }
    Ok(code)
}

/// Compares a routing key's versions with a registry's: the ones it holds
/// must be unchanged here, and the ones it lacks must be compatible with it
/// (under the registry's own settings for the subject).
fn check_against(
    registry: &Registry,
    layout: &SchemaDir,
    s: &SubjectDir,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let key = s.key.as_str();
    let held = registry.versions(key)?;
    let latest = held.iter().copied().max().unwrap_or(0);
    for v in &s.versions {
        let Some(set) = &v.schema else { continue };
        let file = v.path.display().to_string();
        let number = u64::from(v.number);
        // Published (in any version of the subject, whatever its number) and unchanged?
        // Shared files first: a version names them by the registry's versions.
        let mut found: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        let mut body = None;
        let mut missing = None;
        for doc in registry_documents(&Disk, &layout.root, &layout.roots, set)
            .map_err(|e| anyhow!("{e}"))?
        {
            let this = schema_body(&doc, &found);
            let Some(shared) = &doc.subject else {
                body = Some(this);
                continue;
            };
            let answer = registry.post(&format!("/subjects/{}", segment(shared)), &this)?;
            match answer.read::<evreg_api::SchemaVersion>("lookup") {
                Ok(v) => {
                    found.insert(shared.clone(), v.version as u64);
                }
                Err(_) => {
                    missing = Some(shared.clone());
                    break;
                }
            }
        }
        let body = body.ok_or_else(|| anyhow!("{file}: no document to register"))?;
        let published = missing.is_none()
            && registry
                .post(&format!("/subjects/{}", segment(key)), &body)?
                .ok();
        if published {
            continue;
        }
        if number <= latest {
            if held.contains(&number) {
                let id = registry.version(key, number)?.id;
                problems.push(Problem {
                    file,
                    line: 1,
                    kind: "edited-version",
                    message: format!(
                        "differs from every version the registry holds for {key} (its version {number} is id {id}); published versions are immutable: add a new version instead"
                    ),
                });
            }
            continue; // otherwise deleted in the registry
        }
        if let Some(shared) = missing {
            problems.push(Problem {
                file,
                line: 1,
                kind: "unregistered-reference",
                message: format!(
                    "refers to {shared}, which the registry does not hold with this content; push it first"
                ),
            });
            continue;
        }
        let answer = registry.post(
            &format!(
                "/compatibility/subjects/{}/versions?verbose=true",
                segment(key)
            ),
            &body,
        )?;
        if !answer.ok() {
            bail!(
                "POST /compatibility/subjects/{key}/versions: {}",
                answer.message()
            );
        }
        if answer.body["is_compatible"] != Value::Bool(true) {
            let messages: Vec<&str> = answer.body["messages"]
                .as_array()
                .map(|m| m.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            problems.push(Problem {
                file,
                line: 1,
                kind: "incompatible",
                message: format!(
                    "the registry refuses it as {key}'s next version: {}",
                    messages.join("; ")
                ),
            });
        }
    }
    Ok(())
}

fn escape_gh(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn check_subject(
    s: &SubjectDir,
    layout: &SchemaDir,
    problems: &mut Vec<Problem>,
) -> Result<SubjectResult> {
    let (mode, policy) = layout.config.compatibility_for(s.key.as_str());
    let mut prepared = Vec::with_capacity(s.versions.len());
    for v in &s.versions {
        let schema = v
            .schema
            .clone()
            .ok_or_else(|| anyhow!("{}: not loaded", v.path.display()))?;
        prepared.push(Prepared::new(schema).map_err(|e| anyhow!("{e}"))?);
    }
    let mut checks = Vec::new();
    for i in 1..prepared.len() {
        let report =
            check_versions_prepared(&prepared[..=i], mode, policy).map_err(|e| anyhow!("{e}"))?;
        let file = s.versions[i].path.display().to_string();
        let text = std::fs::read_to_string(&s.versions[i].path).unwrap_or_default();
        for c in &report.changes {
            let against = c
                .against_version
                .map(|v| format!(" against v{v}"))
                .unwrap_or_default();
            let line = c
                .new_pointer
                .as_deref()
                .and_then(|p| p.strip_prefix('#'))
                .map_or(1, |p| pointer_line(&text, p));
            problems.push(Problem {
                file: file.clone(),
                line,
                kind: "incompatible",
                message: format!(
                    "{} v{}{against}: {} {}; witness {}",
                    s.key,
                    i + 1,
                    c.kind,
                    c.message,
                    c.witness
                ),
            });
        }
        if report.verdict == Verdict::Unknown {
            problems.push(Problem {
                file: file.clone(),
                line: 1,
                kind: "unknown",
                message: format!(
                    "{} v{}: could not decide: {}",
                    s.key,
                    i + 1,
                    report.reasons.join("; ")
                ),
            });
        }
        checks.push(VersionCheck {
            version: i as u32 + 1,
            report,
        });
    }
    let mut examples = Vec::new();
    for f in &s.examples {
        examples.push(check_example(
            s,
            f,
            &prepared,
            layout.envelope.as_ref(),
            problems,
        )?);
    }
    Ok(SubjectResult {
        routing_key: s.key.to_string(),
        versions: prepared.len() as u32,
        mode,
        policy,
        checks,
        examples,
    })
}

fn check_example(
    s: &SubjectDir,
    f: &Path,
    sets: &[Prepared],
    envelope: Option<&SchemaSet>,
    problems: &mut Vec<Problem>,
) -> Result<ExampleResult> {
    let file = f.display().to_string();
    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let version = name
        .strip_prefix('v')
        .and_then(|r| r.split(['-', '.']).next())
        .and_then(|n| n.parse::<u32>().ok());
    let Some(version) = version.filter(|v| *v >= 1 && (*v as usize) <= sets.len()) else {
        problems.push(Problem { file: file.clone(), line: 1, kind: "layout", message: format!("example names must start with an existing version, like v1-basic.json; {name:?} does not") });
        return Ok(ExampleResult {
            file,
            version: 0,
            valid: false,
            errors: vec!["no such version".into()],
        });
    };
    let instance = read_json(f)?;
    let payload = sets[version as usize - 1].schema_set();
    let schema =
        compose_message(envelope, s.key.as_str(), version, payload).map_err(|e| anyhow!("{e}"))?;
    let validator = Validator::new(&schema).map_err(|e| anyhow!("{file}: {e}"))?;
    let errors: Vec<String> = validator
        .issues(&instance)
        .into_iter()
        .map(|i| {
            format!(
                "{}: {}",
                if i.instance_path.is_empty() {
                    "/"
                } else {
                    &i.instance_path
                },
                i.message
            )
        })
        .collect();
    let text = std::fs::read_to_string(f).unwrap_or_default();
    for (e, issue) in errors.iter().zip(validator.issues(&instance)) {
        problems.push(Problem {
            file: file.clone(),
            line: pointer_line(&text, &issue.instance_path),
            kind: "invalid-example",
            message: format!("{} v{version}: {e}", s.key),
        });
    }
    Ok(ExampleResult {
        file,
        version,
        valid: errors.is_empty(),
        errors,
    })
}

/// The 1-based line where a JSON pointer's last key appears in `text`, found by
/// walking its keys in order (good enough for pretty-printed files).
fn pointer_line(text: &str, pointer: &str) -> usize {
    let mut pos = 0usize;
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let needle = format!("\"{seg}\"");
        match text[pos..].find(&needle) {
            Some(i) => pos += i,
            None => break,
        }
    }
    text[..pos].matches('\n').count() + 1
}

/// Published versions are immutable: every `v{N}.json` at `rev` must still exist with the same content.
fn check_immutable(dir: &Path, rev: &str, problems: &mut Vec<Problem>) -> Result<()> {
    let listing = git(dir, &["ls-tree", "-r", "--name-only", rev, "--", "."])?;
    for rel in listing.lines() {
        let name = Path::new(rel)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if version_of(name).is_none() {
            continue;
        }
        let path = dir.join(rel);
        let display = path.display().to_string();
        if !path.is_file() {
            problems.push(Problem {
                file: display,
                line: 1,
                kind: "edited-version",
                message: format!("published version deleted (present at {rev})"),
            });
            continue;
        }
        let old_text = git(dir, &["show", &format!("{rev}:./{rel}")])?;
        let new_text =
            std::fs::read_to_string(&path).with_context(|| format!("{display}: cannot read"))?;
        let same = match (
            serde_json::from_str::<Value>(&old_text),
            serde_json::from_str::<Value>(&new_text),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => old_text == new_text,
        };
        if !same {
            problems.push(Problem {
                file: display,
                line: 1,
                kind: "edited-version",
                message: format!(
                    "published version edited since {rev}; add a new version file instead"
                ),
            });
        }
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git printed non-UTF-8 output")
}
