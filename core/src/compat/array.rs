//! Arrays: the array atom (lengths, item shapes, `contains`, uniqueness), and its translation, meet, complement, membership, inclusion and witnesses.

use serde_json::{Map, Value};

use super::engine::{Engine, Pol};
use super::incl::{Fail, MAX_WITNESS_SIZE, Outcome, Prover, R};
use super::norm::*;
use crate::schema::Dialect;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ArrShape {
    pub prefix: Vec<Expr>,
    pub rest: Expr,
}

impl ArrShape {
    pub fn item(&self, i: usize) -> &Expr {
        self.prefix.get(i).unwrap_or(&self.rest)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contains {
    pub e: Expr,
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Arr {
    pub min: u64,
    pub max: Option<u64>,
    pub shapes: Vec<ArrShape>,
    pub contains: Vec<Contains>,
    pub unique: bool,
}

impl Arr {
    /// What the element at index `i` must satisfy.
    pub fn item(&self, i: usize) -> Expr {
        Expr::and(self.shapes.iter().map(|s| s.item(i).clone()).collect())
    }

    /// The longest prefix any shape spells out.
    pub fn prefix_len(&self) -> usize {
        self.shapes
            .iter()
            .map(|s| s.prefix.len())
            .max()
            .unwrap_or(0)
    }
}

impl Arr {
    /// The arrays in both; `None` when their lengths leave none.
    pub fn meet(&self, q: &Arr) -> Option<Arr> {
        let p = self;
        let a = Arr {
            min: p.min.max(q.min),
            max: min_opt(p.max, q.max),
            shapes: p.shapes.iter().chain(&q.shapes).cloned().collect(),
            contains: p.contains.iter().chain(&q.contains).cloned().collect(),
            unique: p.unique || q.unique,
        };
        if a.max.is_some_and(|m| m < a.min) {
            return None;
        }
        Some(a)
    }

    /// The arrays outside `self`, as a union (other JSON types aside), and
    /// what that union leaves out (the caller approximates those).
    pub fn complement(&self) -> (Vec<Arr>, Vec<&'static str>) {
        let (mut out, mut approximated) = (Vec::new(), Vec::new());
        out.extend(counts_outside(self.min, self.max).map(|(min, max)| Arr {
            min,
            max,
            ..Arr::default()
        }));
        for shape in &self.shapes {
            for (i, e) in shape.prefix.iter().enumerate() {
                if *e == Expr::Any {
                    continue;
                }
                let mut prefix = vec![Expr::Any; i];
                prefix.push(Expr::not(e.clone()));
                out.push(Arr {
                    min: i as u64 + 1,
                    shapes: vec![ArrShape {
                        prefix,
                        rest: Expr::Any,
                    }],
                    ..Arr::default()
                });
            }
            if shape.rest != Expr::Any {
                if shape.prefix.is_empty() {
                    out.push(Arr {
                        contains: vec![Contains {
                            e: Expr::not(shape.rest.clone()),
                            min: 1,
                            max: None,
                        }],
                        ..Arr::default()
                    });
                } else {
                    approximated.push("items after a tuple");
                }
            }
        }
        for c in &self.contains {
            if c.min > 0 {
                out.push(Arr {
                    contains: vec![Contains {
                        e: c.e.clone(),
                        min: 0,
                        max: Some(c.min - 1),
                    }],
                    ..Arr::default()
                });
            }
            if let Some(m) = c.max {
                out.push(Arr {
                    contains: vec![Contains {
                        e: c.e.clone(),
                        min: m + 1,
                        max: None,
                    }],
                    ..Arr::default()
                });
            }
        }
        if self.unique {
            approximated.push("uniqueItems");
        }
        (out, approximated)
    }
}

pub(crate) fn apply_arr(
    a: &mut Arr,
    obj: &Map<String, Value>,
    dialect: Dialect,
    child: &dyn Fn(&[&str]) -> Expr,
    in_place: bool,
) -> Option<String> {
    let mut note = None;
    if let Some(x) = obj.get("minItems").and_then(count) {
        a.min = a.min.max(x);
    }
    if let Some(x) = obj.get("maxItems").and_then(count) {
        a.max = min_opt(a.max, Some(x));
    }
    if obj.get("uniqueItems") == Some(&Value::Bool(true)) {
        a.unique = true;
    }
    let (prefix, rest): (Vec<Expr>, Option<Expr>) = if dialect.tuple_items() {
        match obj.get("items") {
            Some(Value::Array(xs)) => (
                (0..xs.len())
                    .map(|i| child(&["items", &i.to_string()]))
                    .collect(),
                obj.get("additionalItems")
                    .map(|_| child(&["additionalItems"])),
            ),
            Some(_) => (Vec::new(), Some(child(&["items"]))),
            None => (Vec::new(), None),
        }
    } else {
        let prefix = match obj.get("prefixItems") {
            Some(Value::Array(xs)) => (0..xs.len())
                .map(|i| child(&["prefixItems", &i.to_string()]))
                .collect(),
            _ => Vec::new(),
        };
        (prefix, obj.get("items").map(|_| child(&["items"])))
    };
    let mut rest = rest;
    if matches!(dialect, Dialect::Draft201909 | Dialect::Draft202012)
        && obj.contains_key("unevaluatedItems")
        && rest.is_none()
    {
        if in_place || obj.contains_key("contains") {
            note = Some("unevaluatedItems beside in-place applicators is approximated".to_owned());
        } else {
            rest = Some(child(&["unevaluatedItems"]));
        }
    }
    if !prefix.is_empty() || rest.is_some() {
        a.shapes.push(ArrShape {
            prefix,
            rest: rest.unwrap_or(Expr::Any),
        });
    }
    if obj.contains_key("contains") {
        let min = obj.get("minContains").and_then(count).unwrap_or(1);
        let max = obj.get("maxContains").and_then(count);
        if dialect == Dialect::Draft202012 || dialect == Dialect::Draft201909 {
            a.contains.push(Contains {
                e: child(&["contains"]),
                min,
                max,
            });
        } else {
            a.contains.push(Contains {
                e: child(&["contains"]),
                min: 1,
                max: None,
            });
        }
    }
    note
}

impl Engine<'_> {
    /// Whether the array `items` is in `x`. `Err` when a pattern cannot be evaluated.
    pub(crate) fn admits_arr(
        &mut self,
        x: &Arr,
        items: &[Value],
        pol: Pol,
    ) -> Result<bool, String> {
        let n = items.len() as u64;
        if n < x.min || x.max.is_some_and(|m| n > m) {
            return Ok(false);
        }
        for (i, item) in items.iter().enumerate() {
            if !self.admits(&x.item(i), item, pol)? {
                return Ok(false);
            }
        }
        for c in &x.contains {
            let mut k = 0u64;
            for item in items {
                if self.admits(&c.e, item, pol)? {
                    k += 1;
                }
            }
            if k < c.min || c.max.is_some_and(|m| k > m) {
                return Ok(false);
            }
        }
        if x.unique {
            for i in 0..items.len() {
                for j in (i + 1)..items.len() {
                    if json_eq(&items[i], &items[j]) {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

impl Prover<'_> {
    pub(crate) fn sub_arr(&mut self, x: &Arr, y: &Arr) -> R<Outcome> {
        let mut fails: Vec<Fail> = Vec::new();
        let mut unknown: Option<String> = None;
        let note = |u: &mut Option<String>, r: String| {
            u.get_or_insert(r);
        };
        let k = x.prefix_len().max(y.prefix_len());
        let mut amax = x.max;
        for i in 0..=k {
            if amax.is_some_and(|m| i as u64 >= m) {
                break;
            }
            if self.is_empty(&x.item(i))? {
                amax = Some(i as u64);
                break;
            }
        }
        let simple = |kind: &'static str, w: Value, detail: String| Fail {
            witness: w,
            kind,
            path: Vec::new(),
            sub_origin: None,
            sup_origin: None,
            detail,
        };
        if x.min < y.min {
            match self.example_arr(x, x.min, &[], false)? {
                Some(w) => fails.push(simple(
                    "MIN_ITEMS_INCREASED",
                    w,
                    format!(
                        "arrays with fewer than {} items are no longer accepted",
                        y.min
                    ),
                )),
                None => note(&mut unknown, "could not build a short array".into()),
            }
        }
        if let Some(ym) = y.max
            && amax.is_none_or(|m| m > ym)
        {
            match self.example_arr(x, (ym + 1).max(x.min), &[], false)? {
                Some(w) => fails.push(simple(
                    "MAX_ITEMS_DECREASED",
                    w,
                    format!("arrays with more than {ym} items are no longer accepted"),
                )),
                None => note(&mut unknown, "could not build a long array".into()),
            }
        }
        for i in 0..=k {
            if amax.is_some_and(|m| i as u64 >= m) {
                break;
            }
            let ib = y.item(i);
            if ib == Expr::Any {
                continue;
            }
            let ia = x.item(i);
            match self.sub(&ia, &ib)? {
                Outcome::Holds => {}
                Outcome::Fails(fs) => {
                    for f in fs.into_iter().take(2) {
                        let len = (i as u64 + 1).max(x.min);
                        match self.example_arr(x, len, &[(i, f.witness.clone())], false)? {
                            Some(w) => fails.push(f.nest(i.to_string(), w)),
                            None => note(
                                &mut unknown,
                                "could not build an array around a rejected item".into(),
                            ),
                        }
                    }
                }
                Outcome::Unknown(r) => note(&mut unknown, r),
            }
        }
        if y.unique && !x.unique && amax.is_none_or(|m| m >= 2) {
            match self.example_arr(x, x.min.max(2), &[], true)? {
                Some(w) => fails.push(simple(
                    "UNIQUE_ITEMS_ADDED",
                    w,
                    "arrays with repeated items are no longer accepted".into(),
                )),
                None => note(
                    &mut unknown,
                    "could not build an array with a repeated item".into(),
                ),
            }
        }
        for c in &y.contains {
            if c.min == 0 && c.max.is_none() {
                continue;
            }
            if self.contains_proven(x, c, k, amax)? {
                continue;
            }
            if c.min > 0 {
                // An array of `x` none of whose items is in `c`.
                let avoid = Arr {
                    shapes: x
                        .shapes
                        .iter()
                        .cloned()
                        .chain([ArrShape {
                            prefix: Vec::new(),
                            rest: Expr::not(c.e.clone()),
                        }])
                        .collect(),
                    ..x.clone()
                };
                let mut built = None;
                for len in [x.min, x.min.max(1)] {
                    if let Some(w) = self.example_arr(&avoid, len, &[], false)? {
                        built = Some(w);
                        break;
                    }
                }
                match built {
                    Some(w) => fails.push(simple(
                        "CONTAINS_ADDED",
                        w,
                        "arrays must now contain a matching item".into(),
                    )),
                    None => note(
                        &mut unknown,
                        "could not decide a contains constraint".into(),
                    ),
                }
            } else {
                note(
                    &mut unknown,
                    "could not decide a maxContains constraint".into(),
                );
            }
        }
        Ok(if !fails.is_empty() {
            Outcome::Fails(fails)
        } else if let Some(r) = unknown {
            Outcome::Unknown(r)
        } else {
            Outcome::Holds
        })
    }

    pub(crate) fn contains_proven(
        &mut self,
        x: &Arr,
        c: &Contains,
        k: usize,
        amax: Option<u64>,
    ) -> R<bool> {
        if let Some(m) = c.max
            && amax.is_none_or(|am| am > m)
        {
            return Ok(false);
        }
        if c.min == 0 {
            return Ok(true);
        }
        for ac in &x.contains {
            if ac.min >= c.min && matches!(self.sub(&ac.e, &c.e)?, Outcome::Holds) {
                return Ok(true);
            }
        }
        if c.min == 1 {
            for i in 0..(x.min.min(k as u64 + 1) as usize) {
                if matches!(self.sub(&x.item(i), &c.e)?, Outcome::Holds) {
                    return Ok(true);
                }
            }
        }
        if x.min >= c.min {
            let mut all = true;
            for i in 0..=k {
                all &= matches!(self.sub(&x.item(i), &c.e)?, Outcome::Holds);
            }
            if all {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// An array of `x` with `len` items, some fixed; `dup` repeats the first item.
    pub(crate) fn example_arr(
        &mut self,
        x: &Arr,
        len: u64,
        fixed: &[(usize, Value)],
        dup: bool,
    ) -> R<Option<Value>> {
        if len > MAX_WITNESS_SIZE || len < x.min || x.max.is_some_and(|m| len > m) {
            return Ok(None);
        }
        let mut items: Vec<Value> = Vec::new();
        for i in 0..len as usize {
            if let Some((_, v)) = fixed.iter().find(|(j, _)| *j == i) {
                items.push(v.clone());
                continue;
            }
            if dup && i == 1 {
                items.push(items[0].clone());
                continue;
            }
            let mut e = x.item(i);
            if x.unique && !items.is_empty() && !dup {
                e = Expr::and(vec![
                    e,
                    Expr::not(Expr::or(items.iter().map(Expr::lit).collect())),
                ]);
            }
            match self.example(&e)? {
                Some(v) => items.push(v),
                None => return Ok(None),
            }
        }
        for c in &x.contains {
            let mut have = 0u64;
            for it in &items {
                if self.eng.admits(&c.e, it, Pol::Over)? {
                    have += 1;
                }
            }
            let mut j = items.len();
            while have < c.min {
                if j == 0 {
                    return Ok(None);
                }
                j -= 1;
                if fixed.iter().any(|(f, _)| *f == j)
                    || self.eng.admits(&c.e, &items[j], Pol::Over)?
                {
                    continue;
                }
                match self.example(&Expr::and(vec![x.item(j), c.e.clone()]))? {
                    Some(v) => {
                        items[j] = v;
                        have += 1;
                    }
                    None => return Ok(None),
                }
            }
        }
        Ok(Some(Value::Array(items)))
    }
}
