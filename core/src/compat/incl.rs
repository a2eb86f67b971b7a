//! Inclusion of schema languages: proves L(A) ⊆ L(B), or builds a witness in A but not B, atom by atom.
//!
//! Recursive schemas are handled co-inductively: a pair already being
//! checked further up is assumed to hold, which is sound because every
//! JSON instance is finite. Results that leaned on such an assumption are
//! not cached. Every witness built here is re-checked against both normal
//! forms before it is returned, and against the `jsonschema` crate by the caller.

use serde_json::{Map, Value};

use super::engine::{Engine, Fatal, Pol};
use super::norm::*;
use super::number::*;

/// Refutations a nested question hands back to its parent.
const MAX_NESTED_FAILS: usize = 16;
/// How deep nested questions may go.
const MAX_NESTING: usize = 200;
/// The largest array or object a witness may be.
pub(crate) const MAX_WITNESS_SIZE: u64 = 1_000;

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
    pub(crate) fn nest(mut self, seg: String, witness: Value) -> Fail {
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
    /// The first approximations the proof met, to say why a candidate
    /// witness the model built may not convince the validator.
    pub approximated: Vec<String>,
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
            approximated: Vec::new(),
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
        let mut res = res?;
        // A nested question's parent keeps two of its refutations per
        // property or item: hundreds more (one per atom of a wide union) were
        // only cloned from the cache and dropped. The root keeps every one.
        if let Outcome::Fails(fs) = &mut res
            && idx > 0
        {
            fs.truncate(MAX_NESTED_FAILS);
        }
        if !(matches!(res, Outcome::Holds) && used < idx) {
            self.cache.insert(key, res.clone());
        }
        Ok(res)
    }

    fn sub_uncached(&mut self, a: &Expr, b: &Expr) -> R<Outcome> {
        let na = self.eng.norm(a, Pol::Over)?;
        let nb = self.eng.norm(b, Pol::Under)?;
        for x in na.approx.iter().chain(&nb.approx) {
            if self.approximated.len() < 3 && !self.approximated.contains(x) {
                self.approximated.push(x.clone());
            }
        }
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

    pub(crate) fn is_empty(&mut self, e: &Expr) -> R<bool> {
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
}
