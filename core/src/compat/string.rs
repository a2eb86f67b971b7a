//! Strings: the string atom (lengths and patterns), and its translation, meet, complement, membership, inclusion and witnesses; patterns themselves are decided in `patterns`.

use std::rc::Rc;

use serde_json::{Map, Value};

use super::engine::Engine;
use super::incl::{Fail, Outcome, Prover, R};
use super::norm::*;
use super::patterns::Search;

/// A conjunction of string constraints: lengths in code points, patterns that
/// must match (`true`) or must not (`false`), and literal values excluded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StrSpec {
    pub min: u64,
    pub max: Option<u64>,
    pub pats: Vec<(Rc<str>, bool)>,
}

impl StrSpec {
    pub fn any() -> StrSpec {
        StrSpec::default()
    }

    pub fn len_ok(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }
}

impl StrSpec {
    /// The strings in both; `None` when their lengths leave none.
    pub fn meet(&self, q: &StrSpec) -> Option<StrSpec> {
        let p = self;
        let mut pats = p.pats.clone();
        for pat in &q.pats {
            if !pats.contains(pat) {
                pats.push(pat.clone());
            }
        }
        let s = StrSpec {
            min: p.min.max(q.min),
            max: min_opt(p.max, q.max),
            pats,
        };
        if s.max.is_some_and(|m| m < s.min) {
            return None;
        }
        Some(s)
    }

    /// The strings outside `self`, as a union (other JSON types aside).
    pub fn complement(&self) -> Vec<StrSpec> {
        let mut out = Vec::new();
        out.extend(
            counts_outside(self.min, self.max).map(|(min, max)| StrSpec {
                min,
                max,
                ..StrSpec::any()
            }),
        );
        for (p, pos) in &self.pats {
            out.push(StrSpec {
                pats: vec![(p.clone(), !pos)],
                ..StrSpec::any()
            });
        }
        out
    }
}

/// Narrows `s` by the string keywords of `obj`.
pub(crate) fn apply_str(s: &mut StrSpec, obj: &Map<String, Value>) {
    if let Some(x) = obj.get("minLength").and_then(count) {
        s.min = s.min.max(x);
    }
    if let Some(x) = obj.get("maxLength").and_then(count) {
        s.max = min_opt(s.max, Some(x));
    }
    if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
        s.pats.push((Rc::from(p), true));
    }
}

/// An ECMA-262 pattern matching exactly one of `words`.
pub(crate) fn literal_alternation<'s>(words: impl Iterator<Item = &'s str>) -> Rc<str> {
    let alts: Vec<String> = words
        .map(|w| {
            w.chars()
                .map(|c| {
                    if c.is_ascii_punctuation() {
                        format!("\\{c}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    Rc::from(format!("^(?:{})$", alts.join("|")))
}

impl Engine<'_> {
    /// Whether the string `text` is in `s`. `Err` when a pattern cannot be evaluated.
    pub(crate) fn admits_str(&mut self, s: &StrSpec, text: &str) -> Result<bool, String> {
        if !s.len_ok(text.chars().count() as u64) {
            return Ok(false);
        }
        for (p, pos) in &s.pats {
            if self.patterns.is_match(p, text)? != *pos {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl Prover<'_> {
    pub(crate) fn sub_str(&mut self, a: &Atom, bs: &[&Atom]) -> R<Outcome> {
        let Kind::Str(spec) = &a.kind else {
            return Ok(Outcome::Unknown(String::new()));
        };
        let mut want = spec.clone();
        let strings = |vs: &[Rc<Value>]| -> Vec<String> {
            vs.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let a_ex = strings(&a.except);
        if !a_ex.is_empty() {
            want.pats
                .push((literal_alternation(a_ex.iter().map(String::as_str)), false));
        }
        let mut avoid = Vec::new();
        for b in bs {
            if let Kind::Str(s) = &b.kind {
                let mut s = s.clone();
                let ex = strings(&b.except);
                if !ex.is_empty() {
                    s.pats
                        .push((literal_alternation(ex.iter().map(String::as_str)), false));
                }
                avoid.push(s);
            }
        }
        Ok(match self.eng.patterns.search(&want, &avoid) {
            Search::Found(s) => {
                let n = s.chars().count() as u64;
                let excluded = bs
                    .iter()
                    .any(|b| b.except.iter().any(|e| e.as_str() == Some(s.as_str())));
                let (kind, detail) = match avoid.first() {
                    _ if excluded => (
                        "VALUE_EXCLUDED",
                        format!("the value {s:?} is no longer accepted"),
                    ),
                    None => (
                        "TYPE_NARROWED",
                        "string values are no longer accepted".to_owned(),
                    ),
                    Some(b) if n < b.min => (
                        "MIN_LENGTH_INCREASED",
                        format!("strings shorter than {} are no longer accepted", b.min),
                    ),
                    Some(StrSpec { max: Some(m), .. }) if n > *m => (
                        "MAX_LENGTH_DECREASED",
                        format!("strings longer than {m} are no longer accepted"),
                    ),
                    Some(_) => (
                        "PATTERN_NARROWED",
                        format!("the string {s:?} no longer matches"),
                    ),
                };
                Outcome::Fails(vec![Fail {
                    witness: Value::String(s),
                    kind,
                    path: Vec::new(),
                    sub_origin: a.origin.clone(),
                    sup_origin: bs.first().and_then(|b| b.origin.clone()),
                    detail,
                }])
            }
            Search::Empty => Outcome::Holds,
            Search::GaveUp(r) => Outcome::Unknown(r),
        })
    }
}
