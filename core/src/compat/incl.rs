//! Inclusion of schema languages: proves L(A) ⊆ L(B), or builds a witness in A but not B, atom by atom.
//!
//! Recursive schemas are handled co-inductively: a pair already being
//! checked further up is assumed to hold, which is sound because every
//! JSON instance is finite. Results that leaned on such an assumption are
//! not cached. Every witness built here is re-checked against both normal
//! forms before it is returned, and against the `jsonschema` crate by the caller.

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::{Map, Value};

use super::engine::{Engine, Fatal, Pol};
use super::norm::*;
use super::number::*;
use super::patterns::Search;
use super::string::*;

/// How deep nested questions may go.
const MAX_NESTING: usize = 200;
/// The largest array or object a witness may be.
const MAX_WITNESS_SIZE: u64 = 1_000;

/// One way A is not included in B.
#[derive(Debug, Clone)]
pub(crate) struct Fail {
    pub witness: Value,
    pub kind: &'static str,
    /// Instance path, outermost first.
    pub path: Vec<String>,
    pub sub_origin: Option<Loc>,
    pub sup_origin: Option<Loc>,
    pub detail: String,
}

impl Fail {
    /// This failure seen from the enclosing array or object.
    fn nest(mut self, seg: String, witness: Value) -> Fail {
        self.path.insert(0, seg);
        self.witness = witness;
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Holds,
    Fails(Vec<Fail>),
    Unknown(String),
}

type Key = (Expr, Expr);

pub(crate) struct Prover<'a> {
    pub eng: Engine<'a>,
    stack: FxMap<Key, usize>,
    depth: usize,
    low: usize,
    steps: usize,
    /// Nested inclusion questions this prover may ask before answering `unknown`.
    budget: usize,
    cache: FxMap<Key, Outcome>,
    examples: FxMap<Expr, Option<Value>>,
}

pub(crate) type R<T> = Result<T, Fatal>;

fn same_family(a: &Atom, b: &Atom) -> bool {
    matches!(
        (&a.kind, &b.kind),
        (Kind::Num(_), Kind::Num(_))
            | (Kind::Str(_), Kind::Str(_))
            | (Kind::Arr(_), Kind::Arr(_))
            | (Kind::Obj(_), Kind::Obj(_))
    )
}

impl<'a> Prover<'a> {
    pub fn new(eng: Engine<'a>, budget: usize) -> Prover<'a> {
        Prover {
            eng,
            stack: FxMap::default(),
            depth: 0,
            low: usize::MAX,
            steps: 0,
            budget,
            cache: FxMap::default(),
            examples: FxMap::default(),
        }
    }

    /// Is every instance of `a` an instance of `b`?
    pub fn sub(&mut self, a: &Expr, b: &Expr) -> Result<Outcome, Fatal> {
        if *a == Expr::Never || *b == Expr::Any || a == b {
            return Ok(Outcome::Holds);
        }
        if let (Expr::Node(0, la), Expr::Node(1, lb)) = (a, b)
            && self.eng.identical(la, lb)
        {
            return Ok(Outcome::Holds);
        }
        let key = (a.clone(), b.clone());
        if let Some(&i) = self.stack.get(&key) {
            self.low = self.low.min(i);
            return Ok(Outcome::Holds);
        }
        if let Some(o) = self.cache.get(&key) {
            return Ok(o.clone());
        }
        if self.depth > MAX_NESTING {
            return Ok(Outcome::Unknown(
                "schemas nest too deeply to compare".to_owned(),
            ));
        }
        if self.steps > self.budget {
            return Ok(Outcome::Unknown("comparison budget exhausted".to_owned()));
        }
        self.steps += 1;
        let idx = self.depth;
        self.stack.insert(key.clone(), idx);
        self.depth += 1;
        let saved = self.low;
        self.low = usize::MAX;
        let res = match self.sub_uncached(a, b) {
            Err(Fatal::Undecidable(r)) => Ok(Outcome::Unknown(r)),
            other => other,
        };
        self.depth -= 1;
        self.stack.remove(&key);
        let used = self.low;
        self.low = saved.min(if used < idx { used } else { usize::MAX });
        let res = res?;
        if !(matches!(res, Outcome::Holds) && used < idx) {
            self.cache.insert(key, res.clone());
        }
        Ok(res)
    }

    fn sub_uncached(&mut self, a: &Expr, b: &Expr) -> R<Outcome> {
        let na = self.eng.norm(a, Pol::Over)?;
        let nb = self.eng.norm(b, Pol::Under)?;
        let mut fails = Vec::new();
        let mut unknown: Option<String> = None;
        for atom in &na.atoms {
            match self.sub_atom(atom, &nb) {
                Ok(Outcome::Holds) => {}
                Ok(Outcome::Fails(fs)) => fails.extend(fs),
                Ok(Outcome::Unknown(r)) => {
                    unknown.get_or_insert(r);
                }
                Err(Fatal::Undecidable(r)) => {
                    unknown.get_or_insert(r);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(if !fails.is_empty() {
            Outcome::Fails(fails)
        } else if let Some(mut r) = unknown {
            for x in na.approx.iter().chain(&nb.approx).take(3) {
                r.push_str("; ");
                r.push_str(x);
            }
            Outcome::Unknown(r)
        } else {
            Outcome::Holds
        })
    }

    /// Is the atom `a` included in the union `nb`?
    fn sub_atom(&mut self, a: &Atom, nb: &Norm) -> R<Outcome> {
        let sup_origin = nb.atoms.first().and_then(|x| x.origin.clone());
        let fail = |kind: &'static str, witness: Value, detail: String| Fail {
            witness,
            kind,
            path: Vec::new(),
            sub_origin: a.origin.clone(),
            sup_origin: sup_origin.clone(),
            detail,
        };
        if let Some(values) = self.enumerate(a)? {
            let mut fails = Vec::new();
            for v in values {
                if !self.eng.admits_norm(nb, &v, Pol::Under)? {
                    let has_type = nb.atoms.iter().any(|b| {
                        b.type_name() == json_type(&v)
                            || (b.type_name() == "number" && json_type(&v) == "integer")
                    });
                    let (kind, detail) = match (&a.kind, has_type) {
                        (_, false) => (
                            "TYPE_NARROWED",
                            format!("{} values are no longer accepted", json_type(&v)),
                        ),
                        (Kind::Value(..), true) => (
                            "ENUM_NARROWED",
                            format!("the value {} is no longer accepted", show(&v)),
                        ),
                        _ => (
                            "VALUE_NARROWED",
                            format!("the value {} is no longer accepted", show(&v)),
                        ),
                    };
                    fails.push(fail(kind, v, detail));
                }
            }
            return Ok(if fails.is_empty() {
                Outcome::Holds
            } else {
                Outcome::Fails(fails)
            });
        }
        let bs: Vec<&Atom> = nb.atoms.iter().filter(|b| same_family(a, b)).collect();
        let res = match &a.kind {
            Kind::Num(_) => self.sub_num(a, &bs)?,
            Kind::Str(_) => self.sub_str(a, &bs)?,
            Kind::Arr(_) | Kind::Obj(_) => self.sub_union(a, &bs)?,
            _ => Outcome::Unknown("unexpected atom".to_owned()),
        };
        let res = match res {
            Outcome::Fails(fs) => {
                let mut kept = Vec::new();
                for mut f in fs {
                    if self.eng.admits_atom(a, &f.witness, Pol::Over)?
                        && !self.eng.admits_norm(nb, &f.witness, Pol::Under)?
                    {
                        if f.sub_origin.is_none() {
                            f.sub_origin = a.origin.clone();
                        }
                        if f.sup_origin.is_none() {
                            f.sup_origin = sup_origin.clone();
                        }
                        kept.push(f);
                    }
                }
                if kept.is_empty() {
                    Outcome::Unknown(format!("could not build a {} witness", a.type_name()))
                } else {
                    Outcome::Fails(kept)
                }
            }
            Outcome::Holds => {
                // Values the covering atoms exclude must not be instances of `a`.
                let mut fs = Vec::new();
                for b in &bs {
                    for e in &b.except {
                        if self.eng.admits_atom(a, e, Pol::Over)?
                            && !self.eng.admits_norm(nb, e, Pol::Under)?
                        {
                            fs.push(fail(
                                "VALUE_EXCLUDED",
                                (**e).clone(),
                                format!("the value {} is no longer accepted", show(e)),
                            ));
                        }
                    }
                }
                if fs.is_empty() {
                    Outcome::Holds
                } else {
                    Outcome::Fails(fs)
                }
            }
            u => u,
        };
        Ok(res)
    }

    /// The members of an atom known to be small and finite.
    fn enumerate(&mut self, a: &Atom) -> R<Option<Vec<Value>>> {
        let vals = match &a.kind {
            Kind::Null => vec![Value::Null],
            Kind::Bool(b) => vec![Value::Bool(*b)],
            Kind::Value(v, guards) => {
                let mut ok = true;
                for g in guards.clone() {
                    ok &= self.eng.admits_atom(&g, v, Pol::Over)?;
                }
                if ok { vec![(**v).clone()] } else { vec![] }
            }
            Kind::Num(n) if n.integer => match (n.lo, n.hi) {
                (Some(lo), Some(hi)) if hi.v - lo.v <= 64.0 => {
                    let mut out = Vec::new();
                    let mut x = lo.v.ceil();
                    while x <= hi.v {
                        if n.admits(x) {
                            out.push(number(x));
                        }
                        x += 1.0;
                    }
                    out
                }
                _ => return Ok(None),
            },
            Kind::Str(s) if s.max == Some(0) => vec![Value::String(String::new())],
            Kind::Arr(x) if x.max == Some(0) => vec![Value::Array(Vec::new())],
            Kind::Obj(o) if o.max == Some(0) => vec![Value::Object(Map::new())],
            _ => return Ok(None),
        };
        let mut out = Vec::new();
        for v in vals {
            if !a.except.iter().any(|e| json_eq(e, &v)) && self.eng.admits_atom(a, &v, Pol::Over)? {
                out.push(v);
            }
        }
        Ok(Some(out))
    }

    /// Arrays and objects: covered by one atom of `bs`, or refuted by a witness none of them admits.
    fn sub_union(&mut self, a: &Atom, bs: &[&Atom]) -> R<Outcome> {
        if bs.is_empty() {
            let built = match &a.kind {
                Kind::Arr(x) => self.example_arr(x, x.min, &[], false)?,
                Kind::Obj(o) => self.example_obj(o, &[], &[], 0)?,
                _ => None,
            };
            if let Some(w) = built {
                return Ok(Outcome::Fails(vec![Fail {
                    witness: w,
                    kind: "TYPE_NARROWED",
                    path: Vec::new(),
                    sub_origin: a.origin.clone(),
                    sup_origin: None,
                    detail: format!("{} values are no longer accepted", a.type_name()),
                }]));
            }
            if self.provably_empty(a)? {
                return Ok(Outcome::Holds);
            }
            return Ok(Outcome::Unknown(format!(
                "could not build a {} instance",
                a.type_name()
            )));
        }
        let mut first: Option<Outcome> = None;
        let mut candidates = Vec::new();
        for b in bs {
            let r = match (&a.kind, &b.kind) {
                (Kind::Arr(x), Kind::Arr(y)) => self.sub_arr(x, y)?,
                (Kind::Obj(x), Kind::Obj(y)) => self.sub_obj(x, y)?,
                _ => continue,
            };
            match r {
                Outcome::Holds => return Ok(Outcome::Holds),
                Outcome::Fails(fs) => {
                    candidates.extend(fs.iter().cloned());
                    first.get_or_insert(Outcome::Fails(fs));
                }
                u => {
                    first.get_or_insert(u);
                }
            }
        }
        if bs.len() == 1 {
            return Ok(first.unwrap_or(Outcome::Holds));
        }
        let mut escaping = Vec::new();
        'candidates: for f in candidates {
            for b in bs {
                if self.eng.admits_atom(b, &f.witness, Pol::Under)? {
                    continue 'candidates;
                }
            }
            escaping.push(f);
        }
        Ok(if escaping.is_empty() {
            Outcome::Unknown(format!(
                "could not decide inclusion in a union of {} {} schemas",
                bs.len(),
                a.type_name()
            ))
        } else {
            Outcome::Fails(escaping)
        })
    }

    fn is_empty(&mut self, e: &Expr) -> R<bool> {
        Ok(matches!(self.sub(e, &Expr::Never)?, Outcome::Holds))
    }

    /// Some instance of `e`, if one can be built.
    pub fn example(&mut self, e: &Expr) -> R<Option<Value>> {
        if let Some(v) = self.examples.get(e) {
            return Ok(v.clone());
        }
        let v = match self.sub(e, &Expr::Never)? {
            Outcome::Fails(fs) => fs.into_iter().next().map(|f| f.witness),
            _ => None,
        };
        self.examples.insert(e.clone(), v.clone());
        Ok(v)
    }

    /// Emptiness that follows from a required part being empty.
    fn provably_empty(&mut self, a: &Atom) -> R<bool> {
        match &a.kind {
            Kind::Arr(x) => {
                for i in 0..x.min.min(64) as usize {
                    if self.is_empty(&x.item(i))? {
                        return Ok(true);
                    }
                }
                for c in &x.contains {
                    if c.min > 0 && self.is_empty(&c.e)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Kind::Obj(o) => {
                if o.max
                    .is_some_and(|m| m < o.min || (o.required.len() as u64) > m)
                {
                    return Ok(true);
                }
                for r in &o.required {
                    let e = self.eng.schema_for(o, r)?;
                    if self.is_empty(&e)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    fn sub_arr(&mut self, x: &Arr, y: &Arr) -> R<Outcome> {
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

    fn contains_proven(&mut self, x: &Arr, c: &Contains, k: usize, amax: Option<u64>) -> R<bool> {
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
    fn example_arr(
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

    fn sub_obj(&mut self, x: &Obj, y: &Obj) -> R<Outcome> {
        let mut fails: Vec<Fail> = Vec::new();
        let mut unknown: Option<String> = None;
        let note = |u: &mut Option<String>, r: String| {
            u.get_or_insert(r);
        };
        let simple = |kind: &'static str, w: Value, path: Vec<String>, detail: String| Fail {
            witness: w,
            kind,
            path,
            sub_origin: None,
            sup_origin: None,
            detail,
        };
        for r in y.required.difference(&x.required) {
            match self.example_obj(x, &[], &[r.as_str()], 0)? {
                Some(w) => fails.push(simple(
                    "REQUIRED_PROPERTY_ADDED",
                    w,
                    vec![r.clone()],
                    format!("property {r:?} is now required"),
                )),
                None => note(
                    &mut unknown,
                    format!("could not build an object without {r:?}"),
                ),
            }
        }
        let names: BTreeSet<String> = x.declared().union(&y.declared()).cloned().collect();
        for n in &names {
            let vb = self.eng.schema_for(y, n)?;
            if vb == Expr::Any {
                continue;
            }
            let va = self.eng.schema_for(x, n)?;
            match self.sub(&va, &vb)? {
                Outcome::Holds => {}
                Outcome::Fails(fs) => {
                    let removed = self.eng.norm(&vb, Pol::Under)?.atoms.is_empty();
                    for f in fs.into_iter().take(2) {
                        match self.example_obj(x, &[(n.as_str(), f.witness.clone())], &[], 0)? {
                            Some(w) => {
                                let mut f = f.nest(n.clone(), w);
                                if removed {
                                    f.kind = "PROPERTY_REMOVED";
                                    f.detail = format!("property {n:?} is no longer accepted");
                                }
                                fails.push(f);
                            }
                            None => note(
                                &mut unknown,
                                format!("could not build an object around property {n:?}"),
                            ),
                        }
                    }
                }
                Outcome::Unknown(r) => note(&mut unknown, r),
            }
        }
        let mut pats: Vec<Rc<str>> = x.patterns();
        pats.extend(y.patterns());
        pats.sort();
        pats.dedup();
        if pats.len() > 6 {
            note(&mut unknown, "too many patternProperties to compare".into());
        } else {
            for mask in 0u32..(1 << pats.len()) {
                let matching: Vec<Rc<str>> = pats
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, p)| p.clone())
                    .collect();
                let vb = Engine::region_schema(y, &matching);
                if vb == Expr::Any {
                    continue;
                }
                let va = Engine::region_schema(x, &matching);
                let fs = match self.sub(&va, &vb)? {
                    Outcome::Holds => continue,
                    Outcome::Unknown(r) => {
                        note(&mut unknown, r);
                        continue;
                    }
                    Outcome::Fails(fs) => fs,
                };
                let mut spec = StrSpec::any();
                spec.pats = pats
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), mask & (1 << i) != 0))
                    .collect();
                if !names.is_empty() {
                    spec.pats
                        .push((literal_alternation(names.iter().map(String::as_str)), false));
                }
                let name = match self.fresh_name(x, &spec)? {
                    Some(n) => n,
                    None => continue,
                };
                let removed = self.eng.norm(&vb, Pol::Under)?.atoms.is_empty();
                for f in fs.into_iter().take(2) {
                    match self.example_obj(x, &[(name.as_str(), f.witness.clone())], &[], 0)? {
                        Some(w) => {
                            let mut f = f.nest(name.clone(), w);
                            if removed {
                                f.kind = "ADDITIONAL_PROPERTIES_NARROWED";
                                f.detail = format!(
                                    "undeclared properties such as {name:?} are no longer accepted"
                                );
                            }
                            fails.push(f);
                        }
                        None => note(
                            &mut unknown,
                            "could not build an object with an extra property".into(),
                        ),
                    }
                }
            }
        }
        if y.min > x.min && (x.required.len() as u64) < y.min {
            match self.example_obj(x, &[], &[], 0)? {
                Some(w) if (w.as_object().map_or(0, Map::len) as u64) < y.min => {
                    fails.push(simple(
                        "MIN_PROPERTIES_INCREASED",
                        w,
                        Vec::new(),
                        format!(
                            "objects with fewer than {} properties are no longer accepted",
                            y.min
                        ),
                    ))
                }
                _ => note(&mut unknown, "could not decide minProperties".into()),
            }
        }
        if let Some(ym) = y.max {
            let cap = self.closed_names(x)?.map(|ns| ns.len() as u64);
            let cap = match (cap, x.max) {
                (Some(c), Some(m)) => Some(c.min(m)),
                (c, m) => c.or(m),
            };
            if cap.is_none_or(|c| c > ym) {
                match self.example_obj(x, &[], &[], ym + 1)? {
                    Some(w) => fails.push(simple(
                        "MAX_PROPERTIES_DECREASED",
                        w,
                        Vec::new(),
                        format!("objects with more than {ym} properties are no longer accepted"),
                    )),
                    None => note(&mut unknown, "could not decide maxProperties".into()),
                }
            }
        }
        for bn in &y.names {
            let mut proven = false;
            for an in &x.names {
                if matches!(self.sub(an, bn)?, Outcome::Holds) {
                    proven = true;
                    break;
                }
            }
            if proven {
                continue;
            }
            let bad_name = match self.closed_names(x)? {
                Some(ns) => {
                    let mut bad = None;
                    for n in ns {
                        if !self.eng.admits(bn, &Value::String(n.clone()), Pol::Under)? {
                            bad = Some(n);
                            break;
                        }
                    }
                    match bad {
                        Some(n) => Some(n),
                        None => continue,
                    }
                }
                None => {
                    let mut parts = vec![Expr::Type("string")];
                    parts.extend(x.names.iter().cloned());
                    match self.sub(&Expr::and(parts), bn)? {
                        Outcome::Holds => continue,
                        Outcome::Fails(fs) => fs
                            .into_iter()
                            .find_map(|f| f.witness.as_str().map(str::to_owned)),
                        Outcome::Unknown(r) => {
                            note(&mut unknown, r);
                            continue;
                        }
                    }
                }
            };
            let built = match bad_name {
                Some(n) => {
                    let va = self.eng.schema_for(x, &n)?;
                    match self.example(&va)? {
                        Some(v) => self.example_obj(x, &[(n.as_str(), v)], &[], 0)?,
                        None => None,
                    }
                }
                None => None,
            };
            match built {
                Some(w) => fails.push(simple(
                    "PROPERTY_NAMES_NARROWED",
                    w,
                    Vec::new(),
                    "some property names are no longer accepted".into(),
                )),
                None => note(&mut unknown, "could not decide propertyNames".into()),
            }
        }
        for (p, qs) in &y.dep_required {
            for q in qs {
                if x.required.contains(q)
                    || x.dep_required
                        .iter()
                        .any(|(p2, q2)| p2 == p && q2.contains(q))
                {
                    continue;
                }
                let va = self.eng.schema_for(x, p)?;
                let Some(pv) = self.example(&va)? else {
                    continue;
                };
                match self.example_obj(x, &[(p.as_str(), pv)], &[q.as_str()], 0)? {
                    Some(w) => fails.push(simple(
                        "DEPENDENCY_ADDED",
                        w,
                        Vec::new(),
                        format!("property {p:?} now requires {q:?}"),
                    )),
                    None => note(
                        &mut unknown,
                        format!("could not decide the dependency {p:?} -> {q:?}"),
                    ),
                }
            }
        }
        for (p, s) in &y.dep_schemas {
            let mut proven = false;
            for (p2, s2) in &x.dep_schemas {
                if p2 == p && matches!(self.sub(s2, s)?, Outcome::Holds) {
                    proven = true;
                }
            }
            if proven {
                continue;
            }
            let va = self.eng.schema_for(x, p)?;
            let Some(pv) = self.example(&va)? else {
                continue;
            };
            match self.example_obj(x, &[(p.as_str(), pv)], &[], 0)? {
                Some(w) if !self.eng.admits(s, &w, Pol::Under)? => fails.push(simple(
                    "DEPENDENT_SCHEMA_ADDED",
                    w,
                    Vec::new(),
                    format!("objects with {p:?} must now satisfy a dependent schema"),
                )),
                _ => note(
                    &mut unknown,
                    format!("could not decide the dependent schema of {p:?}"),
                ),
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

    /// A property name in `spec` that `x` accepts as a name.
    fn fresh_name(&mut self, x: &Obj, spec: &StrSpec) -> R<Option<String>> {
        let mut spec = spec.clone();
        for _ in 0..4 {
            let name = match self.eng.patterns.search(&spec, &[]) {
                Search::Found(s) => s,
                Search::Empty => return Ok(None),
                Search::GaveUp(r) => return Err(Fatal::Undecidable(r)),
            };
            let mut ok = true;
            for ne in &x.names {
                ok &= self
                    .eng
                    .admits(ne, &Value::String(name.clone()), Pol::Over)?;
            }
            if ok {
                return Ok(Some(name));
            }
            spec.pats
                .push((literal_alternation(std::iter::once(name.as_str())), false));
        }
        Ok(None)
    }

    /// The names an object of `x` may have, when that set is finite.
    fn closed_names(&mut self, x: &Obj) -> R<Option<BTreeSet<String>>> {
        let mut allowed: Option<BTreeSet<String>> = None;
        for shape in &x.shapes {
            if shape.patterns.is_empty() && self.is_empty(&shape.additional)? {
                let keys: BTreeSet<String> = shape.props.keys().cloned().collect();
                allowed = Some(match allowed {
                    Some(a) => a.intersection(&keys).cloned().collect(),
                    None => keys,
                });
            }
        }
        let Some(names) = allowed else {
            return Ok(None);
        };
        let mut out = BTreeSet::new();
        for n in names {
            let e = self.eng.schema_for(x, &n)?;
            if !self.is_empty(&e)? {
                out.insert(n);
            }
        }
        Ok(Some(out))
    }

    /// An object of `x` with the given properties, without the excluded ones,
    /// and with at least `min_size` properties.
    fn example_obj(
        &mut self,
        x: &Obj,
        with: &[(&str, Value)],
        without: &[&str],
        min_size: u64,
    ) -> R<Option<Value>> {
        let mut m = Map::new();
        for (n, v) in with {
            if without.contains(n) {
                return Ok(None);
            }
            m.insert((*n).to_owned(), v.clone());
        }
        let mut todo: Vec<String> = x.required.iter().rev().cloned().collect();
        loop {
            while let Some(r) = todo.pop() {
                if m.contains_key(&r) {
                    continue;
                }
                if without.contains(&r.as_str()) {
                    return Ok(None);
                }
                let e = self.eng.schema_for(x, &r)?;
                match self.example(&e)? {
                    Some(v) => {
                        m.insert(r, v);
                    }
                    None => return Ok(None),
                }
            }
            for (p, qs) in &x.dep_required {
                if m.contains_key(p) {
                    todo.extend(qs.iter().filter(|q| !m.contains_key(*q)).cloned());
                }
            }
            if todo.is_empty() {
                break;
            }
        }
        let target = x.min.max(min_size);
        if target > MAX_WITNESS_SIZE {
            return Ok(None);
        }
        if (m.len() as u64) < target {
            let mut cands: Vec<String> = x.declared().into_iter().collect();
            cands.extend(["x", "y", "z"].iter().map(|s| (*s).to_owned()));
            for p in x.patterns() {
                let spec = StrSpec {
                    pats: vec![(p, true)],
                    ..StrSpec::any()
                };
                if let Search::Found(s) = self.eng.patterns.search(&spec, &[]) {
                    cands.push(s);
                }
            }
            cands.extend((0..target + 3).map(|i| format!("extra{i}")));
            for n in cands {
                if m.len() as u64 >= target {
                    break;
                }
                if m.contains_key(&n) || without.contains(&n.as_str()) {
                    continue;
                }
                let mut ok = true;
                for ne in &x.names {
                    ok &= self.eng.admits(ne, &Value::String(n.clone()), Pol::Over)?;
                }
                if !ok || x.dep_required.iter().any(|(p, _)| *p == n) {
                    continue;
                }
                let e = self.eng.schema_for(x, &n)?;
                if let Some(v) = self.example(&e)? {
                    m.insert(n, v);
                }
            }
            if (m.len() as u64) < target {
                return Ok(None);
            }
        }
        if x.max.is_some_and(|mx| m.len() as u64 > mx) {
            return Ok(None);
        }
        Ok(Some(Value::Object(m)))
    }
}
