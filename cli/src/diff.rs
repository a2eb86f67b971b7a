//! `evreg diff`: one schema pair, or a batch of pairs as JSON Lines.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use evreg_core::{Mode, Policy, Report, SchemaSet, Verdict, check};
use serde_json::{Value, json};

use crate::load::load_schema;
use crate::{Format, exit};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old schema file.
    #[arg(required_unless_present = "batch")]
    old: Option<PathBuf>,
    /// The new schema file.
    #[arg(required_unless_present = "batch")]
    new: Option<PathBuf>,
    /// Compatibility mode (case-insensitive).
    #[arg(long, default_value = "FULL_TRANSITIVE", value_parser = parse_mode)]
    mode: Mode,
    /// STRICT reads schemas literally; LENIENT as generated code reads and writes events.
    #[arg(long, default_value = "LENIENT", value_parser = parse_policy)]
    policy: Policy,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Read JSON Lines {"id","old","new","mode"?,"policy"?} from FILE (`-` for standard input)
    /// and write one JSON line per case.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["old", "new"])]
    batch: Option<PathBuf>,
    #[command(flatten)]
    roots: crate::load::RootArgs,
}

pub fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse()
}

pub fn parse_policy(s: &str) -> Result<Policy, String> {
    s.parse()
}

pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<i32> {
    if let Some(batch) = &args.batch {
        return run_batch(batch, args, out);
    }
    let (Some(old_path), Some(new_path)) = (&args.old, &args.new) else {
        bail!("diff needs OLD and NEW schema files, or --batch FILE");
    };
    let roots = args.roots.roots();
    let old = load_schema(&roots, old_path)?;
    let new = load_schema(&roots, new_path)?;
    let report = check(&old, &new, args.mode, args.policy).map_err(|e| anyhow!("{e}"))?;
    match args.format {
        Format::Json => {
            // Written straight from the report (not through a `Value`), so
            // witnesses keep every digit of integers past 64 bits.
            #[derive(serde::Serialize)]
            struct Out<'a> {
                #[serde(flatten)]
                report: &'a evreg_core::compat::Report,
                old: String,
                new: String,
            }
            let v = Out {
                report: &report,
                old: old_path.display().to_string(),
                new: new_path.display().to_string(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Human | Format::Github => write_human(
            out,
            &report,
            &old_path.display().to_string(),
            &new_path.display().to_string(),
        )?,
    }
    Ok(verdict_code(report.verdict))
}

pub fn verdict_code(v: Verdict) -> i32 {
    match v {
        Verdict::Compatible => exit::OK,
        Verdict::Incompatible => exit::PROBLEM,
        Verdict::Unknown => exit::UNKNOWN,
    }
}

/// How many breaking changes the human report shows before it only counts the rest.
const HUMAN_CHANGES: usize = 20;

/// The human rendering of a report, shared with `evreg check`: the first
/// changes in full, then how many more there are.
pub fn write_human(out: &mut dyn Write, report: &Report, old: &str, new: &str) -> Result<()> {
    writeln!(
        out,
        "{old} -> {new}: {} under {} ({})",
        report.verdict.as_str(),
        report.mode,
        report.policy
    )?;
    for c in report.changes.iter().take(HUMAN_CHANGES) {
        let dir = match c.direction {
            evreg_core::compat::Direction::Backward => "BACKWARD",
            evreg_core::compat::Direction::Forward => "FORWARD",
        };
        let against = c
            .against_version
            .map(|v| format!(" (against v{v})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  x {dir} {}{against} at {}",
            c.kind,
            if c.path.is_empty() { "/" } else { &c.path }
        )?;
        writeln!(out, "    {}", c.message)?;
        if let (Some(o), Some(n)) = (&c.old_pointer, &c.new_pointer) {
            writeln!(out, "    old schema: {o}   new schema: {n}")?;
        }
        writeln!(out, "    witness: {}", serde_json::to_string(&c.witness)?)?;
    }
    if report.changes.len() > HUMAN_CHANGES {
        writeln!(
            out,
            "  ... and {} more breaking changes (--format json lists them all)",
            report.changes.len() - HUMAN_CHANGES
        )?;
    }
    for r in &report.reasons {
        writeln!(out, "  ? {r}")?;
    }
    Ok(())
}

fn run_batch(path: &PathBuf, args: &DiffArgs, out: &mut dyn Write) -> Result<i32> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path)
            .with_context(|| format!("{}: cannot open", path.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut code = exit::OK;
    for (n, line) in reader.lines().enumerate() {
        let line =
            line.with_context(|| format!("{}: cannot read line {}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let result = batch_case(&line, n + 1, args);
        if result.get("verdict") == Some(&json!("error")) {
            code = exit::ERROR;
        }
        writeln!(out, "{}", serde_json::to_string(&result)?)?;
    }
    out.flush()?;
    Ok(code)
}

fn batch_case(line: &str, n: usize, args: &DiffArgs) -> Value {
    let case = match serde_json::from_str::<Value>(line) {
        Ok(v) => v,
        Err(e) => {
            return json!({"id": Value::Null, "line": n, "verdict": "error", "error": format!("line {n} column {}: invalid JSON: {e}", e.column())});
        }
    };
    let id = case.get("id").cloned().unwrap_or(Value::Null);
    let error =
        |msg: String| json!({"id": id.clone(), "line": n, "verdict": "error", "error": msg});
    let field = |name: &str| -> Result<Value, String> {
        case.get(name)
            .cloned()
            .ok_or_else(|| format!("line {n}: missing field {name:?}"))
    };
    let (old, new) = match (field("old"), field("new")) {
        (Ok(o), Ok(nw)) => (o, nw),
        (Err(e), _) | (_, Err(e)) => return error(e),
    };
    let mode = match case
        .get("mode")
        .and_then(Value::as_str)
        .map(str::parse::<Mode>)
    {
        None => args.mode,
        Some(Ok(m)) => m,
        Some(Err(e)) => return error(format!("line {n}: field \"mode\": {e}")),
    };
    let policy = match case
        .get("policy")
        .and_then(Value::as_str)
        .map(str::parse::<Policy>)
    {
        None => args.policy,
        Some(Ok(p)) => p,
        Some(Err(e)) => return error(format!("line {n}: field \"policy\": {e}")),
    };
    let set = |uri: &str, v: Value| -> Result<SchemaSet, evreg_core::SchemaError> {
        let mut s = SchemaSet::new(uri, v)?;
        s.add_known_documents()?;
        Ok(s)
    };
    let sets = set("file:///old.json", old).and_then(|o| Ok((o, set("file:///new.json", new)?)));
    let report = match sets.and_then(|(o, nw)| check(&o, &nw, mode, policy)) {
        Ok(r) => r,
        Err(e) => return error(format!("line {n}: {e}")),
    };
    let mut v = json!({
        "id": id,
        "verdict": report.verdict.as_str(),
        "mode": report.mode,
        "policy": report.policy,
        "changes": report.changes,
    });
    if let Some(c) = report.changes.first() {
        v["witness"] = c.witness.value().clone();
    }
    if !report.reasons.is_empty() {
        v["reasons"] = json!(report.reasons);
    }
    v
}
