//! The checker's public face: modes, policies, verdicts, reports, and `check` over two schema sets.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::engine::{Engine, Fatal, Pol};
use super::incl::{Fail, Outcome, Prover};
use super::norm::{Expr, Loc, Sets};
use std::cell::OnceCell;

use crate::schema::{SchemaError, SchemaSet, Validator, check_well_formed};

/// Which readers and writers must keep understanding each other. BACKWARD:
/// readers with the new schema read events written with the latest version.
/// FORWARD: readers with the latest version read events written with the
/// new schema. FULL: both. *_TRANSITIVE: against every earlier version, not
/// only the latest. NONE: no check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "CompatibilityLevel"))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl Mode {
    pub const ALL: [Mode; 7] = [
        Mode::Backward,
        Mode::BackwardTransitive,
        Mode::Forward,
        Mode::ForwardTransitive,
        Mode::Full,
        Mode::FullTransitive,
        Mode::None,
    ];

    /// Old events must be readable by new readers.
    pub fn backward(self) -> bool {
        matches!(
            self,
            Mode::Backward | Mode::BackwardTransitive | Mode::Full | Mode::FullTransitive
        )
    }

    /// New events must be readable by old readers.
    pub fn forward(self) -> bool {
        matches!(
            self,
            Mode::Forward | Mode::ForwardTransitive | Mode::Full | Mode::FullTransitive
        )
    }

    /// Checked against every earlier version, not only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Backward => "BACKWARD",
            Mode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Mode::Forward => "FORWARD",
            Mode::ForwardTransitive => "FORWARD_TRANSITIVE",
            Mode::Full => "FULL",
            Mode::FullTransitive => "FULL_TRANSITIVE",
            Mode::None => "NONE",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown compatibility mode {s:?}; expected one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE")
            })
    }
}

/// How an instance is read: literally (`STRICT`), or as evreg-generated code
/// reads and writes events (`LENIENT`: writers send declared fields only,
/// readers ignore undeclared ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "CompatibilityPolicy"))]
#[serde(rename_all = "UPPERCASE")]
pub enum Policy {
    Strict,
    Lenient,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Strict => "STRICT",
            Policy::Lenient => "LENIENT",
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Ok(Policy::Strict),
            "LENIENT" => Ok(Policy::Lenient),
            _ => Err(format!(
                "unknown compatibility policy {s:?}; expected STRICT or LENIENT"
            )),
        }
    }
}

/// The checker's answer; never a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Inclusion is proven.
    Compatible,
    /// At least one change is breaking, shown by a re-validated witness.
    Incompatible,
    /// Neither could be established; `Report::reasons` says why.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Compatible => "compatible",
            Verdict::Incompatible => "incompatible",
            Verdict::Unknown => "unknown",
        }
    }

    /// The worse of two verdicts: incompatible beats unknown beats compatible.
    fn and(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Incompatible, _) | (_, Incompatible) => Incompatible,
            (Unknown, _) | (_, Unknown) => Unknown,
            _ => Compatible,
        }
    }
}

/// Which side writes and which reads in a failed inclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Events written with the old schema, read with the new one.
    Backward,
    /// Events written with the new schema, read with the old one.
    Forward,
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "CompatibilityChange"))]
pub struct Change {
    pub direction: Direction,
    /// A Confluent-style name such as `TYPE_NARROWED` or `REQUIRED_PROPERTY_ADDED`.
    pub kind: String,
    /// JSON pointer into the event where the difference shows.
    pub path: String,
    /// JSON pointer into the old schema (prefixed with its document when not the root).
    pub old_pointer: Option<String>,
    /// JSON pointer into the new schema.
    pub new_pointer: Option<String>,
    pub message: String,
    /// An instance valid under the writer's schema and invalid under the
    /// reader's, re-validated before it is reported.
    #[cfg_attr(feature = "schemars", schemars(with = "Value"))]
    pub witness: Witness,
    /// For transitive checks: the earlier version this change is against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against_version: Option<u32>,
}

/// A witness event. Its JSON text keeps every digit of integers past 64
/// bits, which its `Value` (serde_json's) holds only as the nearest `f64`:
/// serialised with serde_json, and shown, it is the text; validators get the
/// value. Read back from JSON it is the value (the digits past `f64` lost).
#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    value: Value,
    /// The exact text, when it differs from the value's.
    text: Option<String>,
}

impl Witness {
    /// The witness as other JSON tools read it.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Its exact JSON text, when it holds integers past 64 bits (the value
    /// holds their nearest `f64`s).
    pub fn exact_text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// From the checker's value, whose exact integers become text.
    fn exact(v: Value) -> Witness {
        if !super::norm::has_exact(&v) {
            return Witness::from(v);
        }
        Witness {
            value: super::norm::plain(&v),
            text: Some(super::norm::show(&v)),
        }
    }
}

impl From<Value> for Witness {
    fn from(value: Value) -> Witness {
        Witness { value, text: None }
    }
}

impl std::ops::Deref for Witness {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.value
    }
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(t) => f.write_str(t),
            None => write!(f, "{}", self.value),
        }
    }
}

impl Serialize for Witness {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.text {
            Some(t) => serde_json::value::RawValue::from_string(t.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            None => self.value.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Witness {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Witness, D::Error> {
        Value::deserialize(d).map(Witness::from)
    }
}

/// The result of a compatibility check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "CompatibilityReport"))]
pub struct Report {
    pub verdict: Verdict,
    pub mode: Mode,
    pub policy: Policy,
    pub changes: Vec<Change>,
    /// Why the verdict is `unknown`, when it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A schema version ready to be compared many times: checked once for
/// well-formedness; its STRICT and LENIENT views and their validators are
/// built on first use (validators only when a witness needs re-checking).
#[derive(Debug)]
pub struct Prepared {
    set: SchemaSet,
    views: [OnceCell<View>; 3],
}

#[derive(Debug)]
struct View {
    set: SchemaSet,
    validator: OnceCell<Validator>,
}

#[derive(Debug, Clone, Copy)]
enum ViewKind {
    Strict = 0,
    /// LENIENT writer: record objects closed.
    Closed = 1,
    /// LENIENT reader: record objects open.
    Open = 2,
}

impl Prepared {
    pub fn new(set: SchemaSet) -> Result<Prepared, SchemaError> {
        check_well_formed(&set)?;
        Ok(Prepared {
            set,
            views: [OnceCell::new(), OnceCell::new(), OnceCell::new()],
        })
    }

    pub fn schema_set(&self) -> &SchemaSet {
        &self.set
    }

    fn view(&self, kind: ViewKind) -> &View {
        self.views[kind as usize].get_or_init(|| View {
            set: match kind {
                ViewKind::Strict => self.set.clone(),
                ViewKind::Closed => self.set.lenient(true),
                ViewKind::Open => self.set.lenient(false),
            },
            validator: OnceCell::new(),
        })
    }
}

impl View {
    fn validator(&self) -> Result<&Validator, SchemaError> {
        if let Some(v) = self.validator.get() {
            return Ok(v);
        }
        let v = Validator::compile(&self.set)?;
        Ok(self.validator.get_or_init(|| v))
    }
}

fn empty_report(mode: Mode, policy: Policy) -> Report {
    Report {
        verdict: Verdict::Compatible,
        mode,
        policy,
        changes: Vec::new(),
        reasons: Vec::new(),
    }
}

/// Checks whether `new` may follow `old` under `mode` and `policy`.
///
/// `Err` means the schemas could not be checked at all (malformed, an
/// unresolvable or cyclic `$ref`); an incompatibility is an `Ok` report.
pub fn check(
    old: &SchemaSet,
    new: &SchemaSet,
    mode: Mode,
    policy: Policy,
) -> Result<Report, SchemaError> {
    check_within(old, new, mode, policy, STEPS)
}

/// Nested inclusion questions one direction of a check may ask before it
/// answers `unknown` ("comparison budget exhausted").
pub const STEPS: usize = 300_000;

/// [`check`] with another step budget: a smaller one bounds the time a
/// survey over many pairs spends on the hardest (they answer `unknown`).
pub fn check_within(
    old: &SchemaSet,
    new: &SchemaSet,
    mode: Mode,
    policy: Policy,
    steps: usize,
) -> Result<Report, SchemaError> {
    let old = Prepared::new(old.clone())?;
    let new = Prepared::new(new.clone())?;
    check_prepared_within(&old, &new, mode, policy, steps)
}

/// [`check`] on prepared versions.
pub fn check_prepared(
    old: &Prepared,
    new: &Prepared,
    mode: Mode,
    policy: Policy,
) -> Result<Report, SchemaError> {
    check_prepared_within(old, new, mode, policy, STEPS)
}

fn check_prepared_within(
    old: &Prepared,
    new: &Prepared,
    mode: Mode,
    policy: Policy,
    steps: usize,
) -> Result<Report, SchemaError> {
    let mut report = empty_report(mode, policy);
    let (writer, reader) = match policy {
        Policy::Strict => (ViewKind::Strict, ViewKind::Strict),
        Policy::Lenient => (ViewKind::Closed, ViewKind::Open),
    };
    if mode.backward() {
        direction(
            (&old.set, old.view(writer)),
            (&new.set, new.view(reader)),
            Direction::Backward,
            steps,
            &mut report,
        )?;
    }
    if mode.forward() {
        direction(
            (&new.set, new.view(writer)),
            (&old.set, old.view(reader)),
            Direction::Forward,
            steps,
            &mut report,
        )?;
    }
    Ok(report)
}

/// Checks the last of `versions` (oldest first) against the one before it,
/// or against every earlier one for transitive modes. Changes name the
/// earlier version (1-based) they are against.
pub fn check_versions(
    versions: &[SchemaSet],
    mode: Mode,
    policy: Policy,
) -> Result<Report, SchemaError> {
    let prepared = versions
        .iter()
        .map(|s| Prepared::new(s.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    check_versions_prepared(&prepared, mode, policy)
}

/// [`check_versions`] on prepared versions.
pub fn check_versions_prepared(
    versions: &[Prepared],
    mode: Mode,
    policy: Policy,
) -> Result<Report, SchemaError> {
    let mut report = empty_report(mode, policy);
    let Some((new, earlier)) = versions.split_last() else {
        return Ok(report);
    };
    let skip = if mode.transitive() {
        0
    } else {
        earlier.len().saturating_sub(1)
    };
    for (i, old) in earlier.iter().enumerate().skip(skip) {
        let r = check_prepared(old, new, mode, policy)?;
        report.verdict = report.verdict.and(r.verdict);
        let v = u32::try_from(i + 1).unwrap_or(u32::MAX);
        report.changes.extend(r.changes.into_iter().map(|mut c| {
            c.against_version = Some(v);
            c
        }));
        report.reasons.extend(
            r.reasons
                .into_iter()
                .map(|s| format!("against version {v}: {s}")),
        );
    }
    Ok(report)
}

/// What the checker's model says of `instance` under `set`: `Some(true)`
/// when it certainly accepts it, `Some(false)` when it certainly refuses it,
/// `None` where the model only approximates. A `Some` that a validator
/// contradicts is a bug: it is how a witness fails re-validation and a
/// check ends `unknown` (or worse). For differential tests.
pub fn model_admits(set: &SchemaSet, instance: &Value) -> Result<Option<bool>, String> {
    check_well_formed(set).map_err(|e| e.to_string())?;
    let mut engine = Engine::new(Sets {
        sides: [set, set],
        originals: [set, set],
    });
    let root = Expr::Node(0, Loc::from_location(&set.root()));
    let over = engine.admits(&root, instance, Pol::Over)?;
    let under = engine.admits(&root, instance, Pol::Under)?;
    match (under, over) {
        (true, true) => Ok(Some(true)),
        (false, false) => Ok(Some(false)),
        (false, true) => Ok(None),
        (true, false) => Err(format!(
            "the model's under-approximation admits {instance} and its over-approximation does not"
        )),
    }
}

fn direction(
    (writer, w): (&SchemaSet, &View),
    (reader, r): (&SchemaSet, &View),
    dir: Direction,
    steps: usize,
    report: &mut Report,
) -> Result<(), SchemaError> {
    // Every schema includes itself, whatever keywords the model approximates.
    // Not when a literal lost digits in parsing: two texts known by one URI
    // (a file and its older revision) could have parsed alike.
    if w.set.is_same_as(&r.set) && super::engine::inexact_number(&w.set).is_none() {
        return Ok(());
    }
    let engine = Engine::new(Sets {
        sides: [&w.set, &r.set],
        originals: [writer, reader],
    });
    let mut prover = Prover::new(engine, steps);
    let a = Expr::Node(0, Loc::from_location(&w.set.root()));
    let b = Expr::Node(1, Loc::from_location(&r.set.root()));
    let outcome = match prover.sub(&a, &b) {
        Ok(o) => o,
        Err(Fatal::Schema(e)) => return Err(e),
        Err(Fatal::Undecidable(r)) => Outcome::Unknown(r),
    };
    let label = match dir {
        Direction::Backward => "BACKWARD",
        Direction::Forward => "FORWARD",
    };
    match outcome {
        Outcome::Holds => {}
        Outcome::Unknown(why) => match sample_witness(w, r, &mut prover)? {
            Some(witness) => {
                report.verdict = report.verdict.and(Verdict::Incompatible);
                report.changes.push(sampled_change(dir, witness));
            }
            None => {
                report.verdict = report.verdict.and(Verdict::Unknown);
                report.reasons.push(format!("{label}: {why}"));
            }
        },
        Outcome::Fails(fails) => {
            let (wv, rv) = (w.validator()?, r.validator()?);
            let mut kept = 0;
            // One change per (direction, kind, path): a set, so thousands of changes stay linear.
            let mut reported: std::collections::HashSet<(Direction, String, String)> = report
                .changes
                .iter()
                .map(|c| (c.direction, c.kind.clone(), c.path.clone()))
                .collect();
            for f in fails {
                // The witness must convince an independent validator, or it is
                // not reported. A validator reads an integer past 64 bits as an
                // f64 its neighbours share: a refusal that hinges on its digits
                // is the model's exact comparison, and the change says so.
                let plain = super::norm::plain(&f.witness);
                let exact = super::norm::has_exact(&f.witness);
                if !wv.is_valid(&plain) || (rv.is_valid(&plain) && !exact) {
                    continue;
                }
                let digits_only = exact && rv.is_valid(&plain);
                let mut change = to_change(f, dir, &w.set, &r.set);
                if digits_only {
                    change.message.push_str(
                        "; told apart by digits past 64 bits, which JSON Schema compares exactly but validators and parsers that read numbers as f64 do not",
                    );
                }
                if reported.insert((change.direction, change.kind.clone(), change.path.clone())) {
                    report.changes.push(change);
                }
                kept += 1;
            }
            if kept > 0 {
                report.verdict = report.verdict.and(Verdict::Incompatible);
            } else if let Some(witness) = sample_witness(w, r, &mut prover)? {
                report.verdict = report.verdict.and(Verdict::Incompatible);
                report.changes.push(sampled_change(dir, witness));
            } else {
                report.verdict = report.verdict.and(Verdict::Unknown);
                // A literal read as an f64 that other integers share is why a
                // value told apart by the model is one to the validator.
                let imprecise = [&w.set, &r.set]
                    .into_iter()
                    .find_map(super::engine::inexact_number);
                report.reasons.push(match imprecise {
                    Some(n) => format!(
                        "{label}: no candidate witness survived re-validation; the schema holds an integer of about {n:e}, beyond the 64 bits evreg and its validator compare exactly, so values that differ past them cannot be told apart"
                    ),
                    None if !prover.approximated.is_empty() => format!(
                        "{label}: no candidate witness survived re-validation; the model approximates here: {}",
                        prover.approximated.join("; ")
                    ),
                    None => format!("{label}: no candidate witness survived re-validation"),
                });
            }
        }
    }
    Ok(())
}

/// Candidates tried by [`sample_witness`] before giving up.
const SAMPLE_BUDGET: usize = 4_000;

/// When the rules could not decide, look for a witness by sampling: the
/// writer's own example and the literal values both schemas mention, and
/// small mutations of them, each judged by the `jsonschema` validators alone.
fn sample_witness(
    w: &View,
    r: &View,
    prover: &mut Prover<'_>,
) -> Result<Option<Value>, SchemaError> {
    let (wv, rv) = (w.validator()?, r.validator()?);
    let mut scalars: Vec<Value> = vec![
        Value::Null,
        Value::Bool(false),
        Value::Bool(true),
        Value::from(0),
        Value::from(1),
        Value::from(-1),
        Value::from(0.5),
        Value::from(""),
        Value::Array(Vec::new()),
        Value::Object(serde_json::Map::new()),
    ];
    scalars.extend(["a", "b", "x", "y", "z", "A", "0", " "].map(Value::from));
    for set in [&w.set, &r.set] {
        for (_, doc) in set.documents() {
            collect_literals(doc, &mut scalars);
        }
    }
    scalars.truncate(64);
    let mut seeds: Vec<Value> = Vec::new();
    let root = Expr::Node(0, Loc::from_location(&w.set.root()));
    if let Ok(Some(e)) = prover.example(&root) {
        seeds.push(e);
    }
    seeds.extend(scalars.iter().cloned());
    let try_one = |v: &Value| wv.is_valid(v) && !rv.is_valid(v);
    let mut tried = 0usize;
    for seed in &seeds {
        if try_one(seed) {
            return Ok(Some(seed.clone()));
        }
    }
    for seed in &seeds {
        for m in mutations(seed, &scalars) {
            tried += 1;
            if tried > SAMPLE_BUDGET {
                return Ok(None);
            }
            if try_one(&m) {
                return Ok(Some(m));
            }
        }
    }
    Ok(None)
}

/// Literal values a schema mentions (`enum`, `const`, `default`, `examples`), deduplicated.
fn collect_literals(v: &Value, out: &mut Vec<Value>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("enum" | "examples", Value::Array(xs)) => {
                            for x in xs {
                                if !out.contains(x) {
                                    out.push(x.clone());
                                }
                            }
                        }
                        ("const" | "default", x) => {
                            if !out.contains(x) {
                                out.push(x.clone());
                            }
                        }
                        _ => stack.push(x),
                    }
                }
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
}

/// One-step edits of a value: drop, replace or add a member.
fn mutations(v: &Value, scalars: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for k in m.keys() {
                let mut d = m.clone();
                d.shift_remove(k);
                out.push(Value::Object(d));
                for s in scalars {
                    let mut c = m.clone();
                    c.insert(k.clone(), s.clone());
                    out.push(Value::Object(c));
                }
            }
            for name in ["a", "b", "x", "extra"] {
                if !m.contains_key(name) {
                    for s in scalars {
                        let mut c = m.clone();
                        c.insert(name.to_owned(), s.clone());
                        out.push(Value::Object(c));
                    }
                }
            }
        }
        Value::Array(a) => {
            for i in 0..a.len() {
                let mut d = a.clone();
                d.remove(i);
                out.push(Value::Array(d));
                let mut dup = a.clone();
                dup.insert(i, a[i].clone());
                out.push(Value::Array(dup));
                for s in scalars {
                    let mut c = a.clone();
                    c[i] = s.clone();
                    out.push(Value::Array(c));
                }
            }
            for s in scalars {
                let mut c = a.clone();
                c.push(s.clone());
                out.push(Value::Array(c));
            }
        }
        _ => {}
    }
    out
}

fn sampled_change(dir: Direction, witness: Value) -> Change {
    let side = match dir {
        Direction::Backward => "the new schema rejects an event the old schema accepts",
        Direction::Forward => "the old schema rejects an event the new schema accepts",
    };
    Change {
        direction: dir,
        kind: "COUNTEREXAMPLE".to_owned(),
        path: String::new(),
        old_pointer: None,
        new_pointer: None,
        message: format!(
            "no rule pinpointed the change, but a sampled event separates the schemas; {side}"
        ),
        witness: Witness::from(witness),
        against_version: None,
    }
}

fn pointer(set: &SchemaSet, loc: &Option<Loc>) -> Option<String> {
    loc.as_ref().map(|l| {
        if l.doc == 0 {
            format!("#{}", l.pointer)
        } else {
            format!("{}#{}", set.doc_uri(l.doc), l.pointer)
        }
    })
}

fn to_change(f: Fail, dir: Direction, writer: &SchemaSet, reader: &SchemaSet) -> Change {
    let path: String = f
        .path
        .iter()
        .map(|s| format!("/{}", crate::schema::escape_pointer(s)))
        .collect();
    let wp = pointer(writer, &f.sub_origin);
    let rp = pointer(reader, &f.sup_origin);
    let (old_pointer, new_pointer, msg) = match dir {
        Direction::Backward => (
            wp,
            rp,
            "the new schema rejects an event the old schema accepts",
        ),
        Direction::Forward => (
            rp,
            wp,
            "the old schema rejects an event the new schema accepts",
        ),
    };
    let at = if path.is_empty() {
        "the event".to_owned()
    } else {
        path.clone()
    };
    Change {
        direction: dir,
        kind: f.kind.to_owned(),
        message: format!("at {at}: {}; {msg}", f.detail),
        path,
        old_pointer,
        new_pointer,
        witness: Witness::exact(f.witness),
        against_version: None,
    }
}
