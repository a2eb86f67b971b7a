//! The normal form the checker reasons on: a schema as a union of per-type atoms whose children stay lazy expressions.
//!
//! `Expr` names a set of JSON values without computing it; `Norm` is one
//! level of it unfolded into atoms (null, a boolean, numbers, strings,
//! arrays, objects, single values). Every keyword either has an exact
//! translation here or is approximated in the direction the caller asks for
//! (`Pol::Over` may grow the set, `Pol::Under` may shrink it), and each
//! approximation is recorded so a failed proof can say why it is `unknown`.

use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::array::Arr;
use super::number::{Num, exact_digits};
use super::object::Obj;
use super::string::StrSpec;
use crate::schema::{Location, SchemaSet};

/// Which schema set an expression's nodes live in.
pub(crate) type Side = u8;

/// A lazily evaluated schema expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Expr {
    Any,
    Never,
    Node(Side, Loc),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// Exactly one value, kept as its canonical JSON text.
    Lit(Rc<str>),
    /// Only the JSON type named (`"string"`, `"object"`...).
    Type(&'static str),
}

/// A hashable, ordered [`Location`]. Identity is (document, pointer): the
/// base URI follows from them, so it is left out of comparisons and hashes.
#[derive(Debug, Clone)]
pub(crate) struct Loc {
    pub doc: usize,
    pub pointer: Arc<str>,
    pub base: Arc<str>,
}

impl PartialEq for Loc {
    fn eq(&self, o: &Loc) -> bool {
        self.doc == o.doc && self.pointer == o.pointer
    }
}

impl Eq for Loc {}

impl std::hash::Hash for Loc {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.doc.hash(h);
        self.pointer.hash(h);
    }
}

impl PartialOrd for Loc {
    fn partial_cmp(&self, o: &Loc) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Loc {
    fn cmp(&self, o: &Loc) -> std::cmp::Ordering {
        (self.doc, &self.pointer).cmp(&(o.doc, &o.pointer))
    }
}

/// FxHash (rustc's): much faster than SipHash on the short keys the
/// checker's memo tables use; no untrusted-collision concern in a single check.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
pub(crate) type FxMap<K, V> = std::collections::HashMap<K, V, FxBuild>;
pub(crate) type FxSet<K> = std::collections::HashSet<K, FxBuild>;

impl Loc {
    pub fn from_location(l: &Location) -> Loc {
        Loc {
            doc: l.doc,
            pointer: l.pointer.clone(),
            base: l.base.clone(),
        }
    }

    pub fn from_owned(l: Location) -> Loc {
        Loc {
            doc: l.doc,
            pointer: l.pointer,
            base: l.base,
        }
    }

    pub fn location(&self) -> Location {
        Location {
            doc: self.doc,
            pointer: self.pointer.clone(),
            base: self.base.clone(),
        }
    }
}

impl Expr {
    pub fn and(parts: Vec<Expr>) -> Expr {
        let mut flat: Vec<Expr> = Vec::new();
        for p in parts {
            match p {
                Expr::Any => {}
                Expr::Never => return Expr::Never,
                Expr::And(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        flat.sort();
        flat.dedup();
        match flat.len() {
            0 => Expr::Any,
            1 => flat.pop().unwrap_or(Expr::Any),
            _ => Expr::And(flat),
        }
    }

    pub fn or(parts: Vec<Expr>) -> Expr {
        let mut flat: Vec<Expr> = Vec::new();
        for p in parts {
            match p {
                Expr::Never => {}
                Expr::Any => return Expr::Any,
                Expr::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        flat.sort();
        flat.dedup();
        match flat.len() {
            0 => Expr::Never,
            1 => flat.pop().unwrap_or(Expr::Never),
            _ => Expr::Or(flat),
        }
    }

    pub fn not(e: Expr) -> Expr {
        match e {
            Expr::Any => Expr::Never,
            Expr::Never => Expr::Any,
            Expr::Not(inner) => *inner,
            other => Expr::Not(Box::new(other)),
        }
    }

    pub fn lit(v: &Value) -> Expr {
        Expr::Lit(Rc::from(v.to_string()))
    }

    /// The first schema position inside, for reporting.
    pub fn origin(&self) -> Option<&Loc> {
        match self {
            Expr::Node(_, l) => Some(l),
            Expr::And(v) | Expr::Or(v) => v.iter().find_map(Expr::origin),
            Expr::Not(e) => e.origin(),
            _ => None,
        }
    }
}

/// One atom of a normal form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Num(Num),
    Str(StrSpec),
    Arr(Arr),
    Obj(Obj),
    /// Exactly `v`, provided the guards (deferred array/object atoms) admit it.
    Value(Rc<Value>, Vec<Atom>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Atom {
    pub kind: Kind,
    /// Values excluded from this atom (from `not: {const}` and the like).
    pub except: Vec<Rc<Value>>,
    /// The schema position it came from, for reports.
    pub origin: Option<Loc>,
}

impl Atom {
    pub fn new(kind: Kind, origin: Option<Loc>) -> Atom {
        Atom {
            kind,
            except: Vec::new(),
            origin,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Num(n) if n.integer => "integer",
            Kind::Num(_) => "number",
            Kind::Str(_) => "string",
            Kind::Arr(_) => "array",
            Kind::Obj(_) => "object",
            Kind::Value(v, _) => json_type(v),
        }
    }
}

/// A union of atoms, and the approximations made building it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Norm {
    pub atoms: Vec<Atom>,
    pub approx: Vec<String>,
}

impl Norm {
    pub fn never() -> Norm {
        Norm::default()
    }

    pub fn universe(origin: Option<Loc>) -> Norm {
        Norm {
            atoms: all_types(origin),
            approx: Vec::new(),
        }
    }
}

pub(crate) fn all_types(origin: Option<Loc>) -> Vec<Atom> {
    vec![
        Atom::new(Kind::Null, origin.clone()),
        Atom::new(Kind::Bool(false), origin.clone()),
        Atom::new(Kind::Bool(true), origin.clone()),
        Atom::new(Kind::Num(Num::default()), origin.clone()),
        Atom::new(Kind::Str(StrSpec::any()), origin.clone()),
        Atom::new(Kind::Arr(Arr::default()), origin.clone()),
        Atom::new(Kind::Obj(Obj::default()), origin),
    ]
}

/// The atoms of one JSON type name.
pub(crate) fn type_atoms(name: &str, origin: Option<Loc>) -> Vec<Atom> {
    let k = match name {
        "null" => vec![Kind::Null],
        "boolean" => vec![Kind::Bool(false), Kind::Bool(true)],
        "number" => vec![Kind::Num(Num::default())],
        "integer" => vec![Kind::Num(Num {
            integer: true,
            ..Num::default()
        })],
        "string" => vec![Kind::Str(StrSpec::any())],
        "array" => vec![Kind::Arr(Arr::default())],
        "object" => vec![Kind::Obj(Obj::default())],
        _ => vec![],
    };
    k.into_iter()
        .map(|k| Atom::new(k, origin.clone()))
        .collect()
}

/// Whether `v` holds an exact integer anywhere.
pub(crate) fn has_exact(v: &Value) -> bool {
    match v {
        Value::Array(xs) => xs.iter().any(has_exact),
        Value::Object(m) => exact_digits(v).is_some() || m.values().any(has_exact),
        _ => false,
    }
}

/// `v` as other JSON tools read it: exact integers become their `f64`.
pub(crate) fn plain(v: &Value) -> Value {
    if let Some(d) = exact_digits(v) {
        return d
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number);
    }
    match v {
        Value::Array(xs) => Value::Array(xs.iter().map(plain).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), plain(x))).collect()),
        _ => v.clone(),
    }
}

/// `v` as JSON text, exact integers with all their digits.
pub(crate) fn show(v: &Value) -> String {
    if !has_exact(v) {
        return v.to_string();
    }
    crate::schema::write_json(v, false, &|x, _| exact_digits(x).map(str::to_owned))
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    if exact_digits(v).is_some() {
        return "integer";
    }
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON Schema equality: numbers compare by value (`1.0 == 1`), objects ignore order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (exact_digits(a), exact_digits(b)) {
        (Some(x), Some(y)) => return x == y,
        // Past 64 bits, exactly: no `u64`/`i64` is equal, and an `f64` could stand for many integers.
        (Some(_), _) | (_, Some(_)) => return false,
        (None, None) => {}
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Context the normaliser needs: both schema sets.
pub(crate) struct Sets<'a> {
    pub sides: [&'a SchemaSet; 2],
    /// The documents before any LENIENT view was applied (same pointers).
    pub originals: [&'a SchemaSet; 2],
}

impl Sets<'_> {
    pub fn set(&self, side: Side) -> &SchemaSet {
        self.sides[usize::from(side)]
    }

    pub fn value(&self, side: Side, loc: &Loc) -> Option<&Value> {
        crate::schema::lookup(self.set(side).document(loc.doc), &loc.pointer)
    }
}

/// A count keyword's value (`minLength: 2.0` counts as 2).
pub(crate) fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

/// The smaller bound, `None` being unbounded.
pub(crate) fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

/// The counts (lengths, items, properties) outside `min..=max`, as ranges:
/// below `min` and above `max`.
pub(crate) fn counts_outside(
    min: u64,
    max: Option<u64>,
) -> impl Iterator<Item = (u64, Option<u64>)> {
    let below = (min > 0).then(|| (0, Some(min - 1)));
    let above = max.map(|m| (m + 1, None));
    below.into_iter().chain(above)
}
