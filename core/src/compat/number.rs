//! Numbers: bounds known exactly where `f64` cannot tell them apart, the numeric atom, and its translation, meet, complement, membership, inclusion and witnesses.

use serde_json::{Map, Value};

use super::incl::{Fail, Outcome, Prover, R};
use super::norm::*;
use crate::schema::Dialect;

/// A lower or upper numeric bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub v: f64,
    pub excl: bool,
    /// The bound exactly, when the schema wrote an integer that fits 64
    /// bits: beyond 2^53 an `f64` cannot tell neighbouring integers apart
    /// (`18446744073709551615` and `…614` are one `f64`).
    pub int: Option<i128>,
}

/// Integers below this magnitude are exact as `f64`.
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// A JSON number exactly, when it is an integer that fits 64 bits.
pub(crate) fn exact_int(v: &Value) -> Option<i128> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
}

/// Orders two numbers known as `f64` and, for integers, exactly; `None`
/// when `f64` cannot tell them apart and no exact value says which is larger.
/// Rounding to `f64` keeps order, so distinct `f64`s always answer.
pub(crate) fn cmp_num(
    x: f64,
    xi: Option<i128>,
    y: f64,
    yi: Option<i128>,
) -> Option<std::cmp::Ordering> {
    if let (Some(a), Some(b)) = (xi, yi) {
        return Some(a.cmp(&b));
    }
    if x != y {
        return x.partial_cmp(&y);
    }
    (x.abs() < EXACT_F64).then_some(std::cmp::Ordering::Equal)
}

/// Whether the range between `lo` and `hi` is certainly empty.
pub(crate) fn bounds_empty(lo: Bound, hi: Bound) -> bool {
    match cmp_num(lo.v, lo.int, hi.v, hi.int) {
        Some(std::cmp::Ordering::Greater) => true,
        Some(std::cmp::Ordering::Equal) => lo.excl || hi.excl,
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Num {
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    pub integer: bool,
    pub non_integer: bool,
    pub mult: Vec<f64>,
    pub not_mult: Vec<f64>,
}

/// The key of the one-entry object that stands, inside the checker, for an
/// integer past 64 bits known exactly from the schema's text (serde_json's
/// `Value` holds only its `f64`). It never leaves the checker: witnesses are
/// validated as [`plain`] values and shown with [`show`].
const EXACT_INTEGER: &str = "\u{0}evreg:integer";

/// The checker's value for an integer past 64 bits, from its digits.
pub(crate) fn exact_integer(digits: &str) -> Value {
    let mut m = Map::new();
    m.insert(EXACT_INTEGER.to_owned(), Value::String(digits.to_owned()));
    Value::Object(m)
}

/// The digits of an exact integer built by [`exact_integer`].
pub(crate) fn exact_digits(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(EXACT_INTEGER)?.as_str(),
        _ => None,
    }
}

/// An integer exactly when it fits `i128`, and as its nearest `f64`.
pub(crate) fn exact_parts(digits: &str) -> (f64, Option<i128>) {
    (
        digits.parse::<f64>().unwrap_or(f64::NAN),
        digits.parse::<i128>().ok(),
    )
}

/// `digits mod m` for a positive integer `m` below 2^53, by long division.
fn digits_rem(digits: &str, m: u64) -> u64 {
    digits.trim_start_matches('-').bytes().fold(0u128, |r, b| {
        (r * 10 + u128::from(b - b'0')) % u128::from(m)
    }) as u64
}

/// Whether `x` is a multiple of `m`, with the tolerance floating point needs
/// for decimal steps (`0.3` of `0.1`). When the quotient overflows (`1e308`
/// of `0.5`) it is decided exactly on the binary values instead.
pub(crate) fn is_multiple(x: f64, m: f64) -> bool {
    if m <= 0.0 || !m.is_finite() || !x.is_finite() {
        return false;
    }
    if x == 0.0 {
        return true;
    }
    let q = x / m;
    if !q.is_finite() {
        return binary_multiple(x, m);
    }
    (q - q.round()).abs() < 1e-9
}

/// `x / m` is an integer, exactly: with `x = ox·2^ex` and `m = om·2^em`
/// (odd `ox`, `om`), that is `om | ox` and `ex ≥ em`.
fn binary_multiple(x: f64, m: f64) -> bool {
    let parts = |v: f64| -> (u64, i64) {
        let bits = v.abs().to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mut mant, mut e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        };
        let tz = mant.trailing_zeros();
        mant >>= tz;
        e += i64::from(tz);
        (mant, e)
    };
    let (ox, ex) = parts(x);
    let (om, em) = parts(m);
    om != 0 && ox % om == 0 && ex >= em
}

impl Num {
    /// Whether the JSON number `v` is in the set, exactly for integers that fit 64 bits.
    pub fn admits_value(&self, v: &Value) -> bool {
        if let Some(d) = exact_digits(v) {
            return self.admits_exact(d);
        }
        let Some(x) = v.as_f64() else { return false };
        let xi = exact_int(v);
        if let Some(b) = self.lo {
            match cmp_num(x, xi, b.v, b.int) {
                Some(std::cmp::Ordering::Less) => return false,
                Some(std::cmp::Ordering::Equal) if b.excl => return false,
                _ => {}
            }
        }
        if let Some(b) = self.hi {
            match cmp_num(x, xi, b.v, b.int) {
                Some(std::cmp::Ordering::Greater) => return false,
                Some(std::cmp::Ordering::Equal) if b.excl => return false,
                _ => {}
            }
        }
        let int = x.fract() == 0.0;
        (!self.integer || int)
            && (!self.non_integer || !int)
            && self.mult.iter().all(|m| is_multiple(x, *m))
            && self.not_mult.iter().all(|m| !is_multiple(x, *m))
    }

    /// Whether the integer `digits` (past 64 bits) is in the set: bounds
    /// compared exactly when both fit `i128` (or `f64` tells them apart),
    /// integer `multipleOf`s below 2^53 by long division.
    fn admits_exact(&self, digits: &str) -> bool {
        let (x, xi) = exact_parts(digits);
        use std::cmp::Ordering::{Equal, Greater, Less};
        let outside = |b: &Bound, beyond: std::cmp::Ordering| match cmp_num(x, xi, b.v, b.int) {
            Some(o) if o == beyond => true,
            Some(Equal) => b.excl,
            _ => false,
        };
        if self.lo.is_some_and(|b| outside(&b, Less))
            || self.hi.is_some_and(|b| outside(&b, Greater))
        {
            return false;
        }
        let multiple = |m: f64| {
            if m.fract() == 0.0 && m > 0.0 && m < EXACT_F64 {
                digits_rem(digits, m as u64) == 0
            } else {
                is_multiple(x, m)
            }
        };
        !self.non_integer
            && self.mult.iter().all(|m| multiple(*m))
            && self.not_mult.iter().all(|m| !multiple(*m))
    }

    pub fn admits(&self, x: f64) -> bool {
        if let Some(b) = self.lo
            && (x < b.v || (b.excl && x == b.v))
        {
            return false;
        }
        if let Some(b) = self.hi
            && (x > b.v || (b.excl && x == b.v))
        {
            return false;
        }
        let int = x.fract() == 0.0;
        (!self.integer || int)
            && (!self.non_integer || !int)
            && self.mult.iter().all(|m| is_multiple(x, *m))
            && self.not_mult.iter().all(|m| !is_multiple(x, *m))
    }

    /// The numbers outside `self`, as a union (other JSON types aside).
    pub fn complement(&self) -> Vec<Num> {
        let mut out = Vec::new();
        if let Some(lo) = self.lo {
            out.push(Num {
                hi: Some(Bound {
                    excl: !lo.excl,
                    ..lo
                }),
                ..Num::default()
            });
        }
        if let Some(hi) = self.hi {
            out.push(Num {
                lo: Some(Bound {
                    excl: !hi.excl,
                    ..hi
                }),
                ..Num::default()
            });
        }
        if self.integer {
            out.push(Num {
                non_integer: true,
                ..Num::default()
            });
        }
        if self.non_integer {
            out.push(Num {
                integer: true,
                ..Num::default()
            });
        }
        for m in &self.mult {
            out.push(Num {
                not_mult: vec![*m],
                ..Num::default()
            });
        }
        for m in &self.not_mult {
            out.push(Num {
                mult: vec![*m],
                ..Num::default()
            });
        }
        out
    }

    /// The numbers in both; `None` when certainly none is.
    pub fn meet(&self, o: &Num) -> Option<Num> {
        let n = Num {
            lo: tighter(self.lo, o.lo, true),
            hi: tighter(self.hi, o.hi, false),
            integer: self.integer || o.integer,
            non_integer: self.non_integer || o.non_integer,
            mult: union_f(&self.mult, &o.mult),
            not_mult: union_f(&self.not_mult, &o.not_mult),
        };
        match (n.lo, n.hi) {
            (Some(lo), Some(hi)) if bounds_empty(lo, hi) => None,
            _ => Some(n),
        }
    }
}

fn union_f(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut v = a.to_vec();
    for x in b {
        if !v.contains(x) {
            v.push(*x);
        }
    }
    v
}

/// The tighter of two bounds (`lower` picks the larger).
pub(crate) fn tighter(a: Option<Bound>, b: Option<Bound>, lower: bool) -> Option<Bound> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => match cmp_num(x.v, x.int, y.v, y.int) {
            Some(std::cmp::Ordering::Equal) => Some(Bound {
                excl: x.excl || y.excl,
                ..x
            }),
            Some(o) if (o == std::cmp::Ordering::Greater) == lower => Some(x),
            Some(_) => Some(y),
            // Indistinguishable without the literals: the one known exactly.
            None => Some(if x.int.is_some() { x } else { y }),
        },
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Narrows `n` by the numeric keywords of `obj`; `literal(keyword)` is the
/// keyword's integer exactly when the text spelled one past 64 bits.
pub(crate) fn apply_num(
    n: &mut Num,
    obj: &Map<String, Value>,
    dialect: Dialect,
    literal: impl Fn(&str) -> Option<i128>,
) {
    let bound = |k: &str, excl: bool| {
        let v = obj.get(k)?;
        num(v).map(|x| Bound {
            v: x,
            excl,
            int: exact_int(v).or_else(|| literal(k)),
        })
    };
    let draft4_excl =
        |k: &str| dialect == Dialect::Draft4 && obj.get(k) == Some(&Value::Bool(true));
    if let Some(b) = bound("minimum", draft4_excl("exclusiveMinimum")) {
        n.lo = tighter(n.lo, Some(b), true);
    }
    if let Some(b) = bound("maximum", draft4_excl("exclusiveMaximum")) {
        n.hi = tighter(n.hi, Some(b), false);
    }
    if let Some(b) = bound("exclusiveMinimum", true) {
        n.lo = tighter(n.lo, Some(b), true);
    }
    if let Some(b) = bound("exclusiveMaximum", true) {
        n.hi = tighter(n.hi, Some(b), false);
    }
    if let Some(x) = obj.get("multipleOf").and_then(num)
        && x > 0.0
        && !n.mult.contains(&x)
    {
        n.mult.push(x);
    }
}

pub(crate) fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// The least value of `a` as a bound, tightened by integrality and
/// multiples (its exact integer kept only while the bound is unchanged).
fn eff_lo(a: &Num) -> Option<Bound> {
    let b = a.lo?;
    let (mut v, mut excl) = (b.v, b.excl);
    if a.integer {
        v = if excl && v.fract() == 0.0 {
            v + 1.0
        } else {
            v.ceil()
        };
        excl = false;
    }
    for m in &a.mult {
        let mut k = (v / m).ceil() * m;
        if excl && k == v {
            k += m;
        }
        if k > v {
            v = k;
            excl = false;
        }
    }
    let unchanged = v == b.v && excl == b.excl;
    Some(Bound {
        v,
        excl,
        int: if unchanged { b.int } else { None },
    })
}

fn eff_hi(a: &Num) -> Option<Bound> {
    let b = a.hi?;
    let (mut v, mut excl) = (b.v, b.excl);
    if a.integer {
        v = if excl && v.fract() == 0.0 {
            v - 1.0
        } else {
            v.floor()
        };
        excl = false;
    }
    for m in &a.mult {
        let mut k = (v / m).floor() * m;
        if excl && k == v {
            k -= m;
        }
        if k < v {
            v = k;
            excl = false;
        }
    }
    let unchanged = v == b.v && excl == b.excl;
    Some(Bound {
        v,
        excl,
        int: if unchanged { b.int } else { None },
    })
}

fn num_covers(a: &Num, b: &Num) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    if let Some(bl) = b.lo {
        let Some(lo) = eff_lo(a) else {
            return false;
        };
        match cmp_num(lo.v, lo.int, bl.v, bl.int) {
            Some(Greater) => {}
            Some(Equal) if !bl.excl || lo.excl => {}
            _ => return false,
        }
    }
    if let Some(bh) = b.hi {
        let Some(hi) = eff_hi(a) else {
            return false;
        };
        match cmp_num(hi.v, hi.int, bh.v, bh.int) {
            Some(Less) => {}
            Some(Equal) if !bh.excl || hi.excl => {}
            _ => return false,
        }
    }
    if b.integer && !(a.integer || a.mult.iter().any(|m| m.fract() == 0.0)) {
        return false;
    }
    for m in &b.mult {
        if !(a.mult.iter().any(|m2| is_multiple(*m2, *m)) || (a.integer && is_multiple(1.0, *m))) {
            return false;
        }
    }
    for m in &b.not_mult {
        if !(a.not_mult.iter().any(|m2| is_multiple(*m, *m2))
            || (a.non_integer && m.fract() == 0.0 && *m == 1.0))
        {
            return false;
        }
    }
    if b.non_integer && !(a.non_integer || a.not_mult.contains(&1.0)) {
        return false;
    }
    true
}

fn num_empty(a: &Num) -> bool {
    if let (Some(lo), Some(hi)) = (eff_lo(a), eff_hi(a))
        && bounds_empty(lo, hi)
    {
        return true;
    }
    a.integer && a.non_integer
}

/// A bound as a schema wrote it: exactly, when it is an integer.
fn show_bound(b: &Bound) -> String {
    b.int.map_or_else(|| b.v.to_string(), |i| i.to_string())
}

/// Integer witnesses next to bounds beyond 2^53, exactly (`f64` candidates
/// cannot tell `u64::MAX` from `u64::MAX - 1`).
fn exact_candidates(a: &Num, bs: &[&Num]) -> Vec<Value> {
    let mut out = Vec::new();
    for n in std::iter::once(a).chain(bs.iter().copied()) {
        for b in [n.lo, n.hi].into_iter().flatten() {
            let Some(i) = b.int.filter(|i| i.unsigned_abs() >= 1 << 53) else {
                continue;
            };
            for c in [i.saturating_sub(1), i, i.saturating_add(1)] {
                let v = u64::try_from(c)
                    .map(Value::from)
                    .or_else(|_| i64::try_from(c).map(Value::from))
                    .unwrap_or_else(|_| exact_integer(&c.to_string()));
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn num_kind(b: &Num, v: &Value) -> (&'static str, String) {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (x, xi) = match exact_digits(v) {
        Some(d) => exact_parts(d),
        None => (v.as_f64().unwrap_or_default(), exact_int(v)),
    };
    if let Some(lo) = b.lo
        && (matches!(cmp_num(x, xi, lo.v, lo.int), Some(Less))
            || (lo.excl && cmp_num(x, xi, lo.v, lo.int) == Some(Equal)))
    {
        return (
            "MINIMUM_INCREASED",
            format!("numbers below {} are no longer accepted", show_bound(&lo)),
        );
    }
    if let Some(hi) = b.hi
        && (matches!(cmp_num(x, xi, hi.v, hi.int), Some(Greater))
            || (hi.excl && cmp_num(x, xi, hi.v, hi.int) == Some(Equal)))
    {
        return (
            "MAXIMUM_DECREASED",
            format!("numbers above {} are no longer accepted", show_bound(&hi)),
        );
    }
    if b.integer && x.fract() != 0.0 {
        return (
            "TYPE_NARROWED",
            "non-integer numbers are no longer accepted".to_owned(),
        );
    }
    if b.mult.iter().any(|m| !is_multiple(x, *m)) {
        return (
            "MULTIPLE_OF_CHANGED",
            format!("{} is no longer an accepted multiple", show(v)),
        );
    }
    (
        "NUMBER_NARROWED",
        format!("the number {} is no longer accepted", show(v)),
    )
}

/// Numbers worth trying as witnesses: bounds, their neighbours, multiples near them.
fn num_candidates(a: &Num, bs: &[&Num]) -> Vec<f64> {
    let mut points = vec![0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 10.0, 100.0, 1.0e9, -1.0e9];
    let mut mults: Vec<f64> = a.mult.clone();
    for n in std::iter::once(a).chain(bs.iter().copied()) {
        for b in [n.lo, n.hi].into_iter().flatten() {
            for d in [0.0, 1.0, -1.0, 0.5, -0.5, 0.25, -0.25, 0.001, -0.001] {
                points.push(b.v + d);
            }
            points.push(b.v.floor());
            points.push(b.v.ceil());
        }
        mults.extend(n.mult.iter().copied());
        mults.extend(n.not_mult.iter().copied());
    }
    let base = points.clone();
    for m in &mults {
        points.extend([*m, 2.0 * m, 3.0 * m, -m, 1.5 * m, 0.5 * m]);
        for p in &base {
            let k = (p / m).round();
            points.extend([k * m, (k + 1.0) * m, (k - 1.0) * m, (k + 0.5) * m]);
        }
    }
    // Snap to every multiple `a` demands, so candidates stay inside `a`.
    let lcm_like: Option<f64> = a.mult.iter().copied().reduce(f64::max);
    let mut out: Vec<f64> = Vec::new();
    for p in points {
        out.push(p);
        if let Some(m) = lcm_like {
            out.push((p / m).round() * m);
            out.push((p / m).ceil() * m);
        }
    }
    out.retain(|x| x.is_finite());
    out.sort_by(|x, y| {
        (x.fract() != 0.0, x.abs())
            .partial_cmp(&(y.fract() != 0.0, y.abs()))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out.dedup();
    out
}

impl Prover<'_> {
    pub(crate) fn sub_num(&mut self, a: &Atom, bs: &[&Atom]) -> R<Outcome> {
        let Kind::Num(an) = &a.kind else {
            return Ok(Outcome::Unknown(String::new()));
        };
        let bnums: Vec<&Num> = bs
            .iter()
            .filter_map(|b| {
                if let Kind::Num(n) = &b.kind {
                    Some(n)
                } else {
                    None
                }
            })
            .collect();
        if bnums.iter().any(|b| num_covers(an, b)) {
            return Ok(Outcome::Holds);
        }
        let exact = exact_candidates(an, &bnums);
        let approximate = num_candidates(an, &bnums).into_iter().map(number);
        for v in exact.into_iter().chain(approximate) {
            if an.admits_value(&v)
                && !a.except.iter().any(|e| json_eq(e, &v))
                && bs.iter().all(|b| {
                    !matches!(&b.kind, Kind::Num(n) if n.admits_value(&v))
                        || b.except.iter().any(|e| json_eq(e, &v))
                })
            {
                let (kind, detail) = match bnums.first() {
                    None => (
                        "TYPE_NARROWED",
                        format!("{} values are no longer accepted", a.type_name()),
                    ),
                    Some(b) => num_kind(b, &v),
                };
                return Ok(Outcome::Fails(vec![Fail {
                    witness: v,
                    kind,
                    path: Vec::new(),
                    sub_origin: a.origin.clone(),
                    sup_origin: bs.first().and_then(|b| b.origin.clone()),
                    detail,
                }]));
            }
        }
        if num_empty(an) {
            return Ok(Outcome::Holds);
        }
        Ok(Outcome::Unknown(
            "could not decide a numeric range inclusion".to_owned(),
        ))
    }
}
