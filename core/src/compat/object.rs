//! Objects: the object atom (property shapes, required names, counts, names, dependencies), and its translation, meet, complement, membership, inclusion and witnesses.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Map, Value};

use super::engine::{Engine, Fatal, Pol};
use super::incl::{Fail, MAX_WITNESS_SIZE, Outcome, Prover, R};
use super::norm::*;
use super::patterns::Search;
use super::string::*;
use crate::schema::Dialect;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjShape {
    pub props: BTreeMap<String, Expr>,
    pub patterns: Vec<(Rc<str>, Expr)>,
    pub additional: Expr,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Obj {
    pub shapes: Vec<ObjShape>,
    pub required: BTreeSet<String>,
    pub min: u64,
    pub max: Option<u64>,
    pub names: Vec<Expr>,
    pub dep_required: Vec<(String, Vec<String>)>,
    pub dep_schemas: Vec<(String, Expr)>,
}

impl Obj {
    /// Every property name that some shape declares.
    pub fn declared(&self) -> BTreeSet<String> {
        self.shapes
            .iter()
            .flat_map(|s| s.props.keys().cloned())
            .collect()
    }

    pub fn patterns(&self) -> Vec<Rc<str>> {
        let mut v: Vec<Rc<str>> = self
            .shapes
            .iter()
            .flat_map(|s| s.patterns.iter().map(|(p, _)| p.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

impl Obj {
    /// The objects in both; `None` when their counts leave none.
    pub fn meet(&self, q: &Obj) -> Option<Obj> {
        let p = self;
        let o = Obj {
            shapes: p.shapes.iter().chain(&q.shapes).cloned().collect(),
            required: p.required.union(&q.required).cloned().collect(),
            min: p.min.max(q.min),
            max: min_opt(p.max, q.max),
            names: p.names.iter().chain(&q.names).cloned().collect(),
            dep_required: p
                .dep_required
                .iter()
                .chain(&q.dep_required)
                .cloned()
                .collect(),
            dep_schemas: p
                .dep_schemas
                .iter()
                .chain(&q.dep_schemas)
                .cloned()
                .collect(),
        };
        if o.max
            .is_some_and(|m| m < o.min || (o.required.len() as u64) > m)
        {
            return None;
        }
        Some(o)
    }

    /// The objects outside `self`, as a union (other JSON types aside), and
    /// what that union leaves out (the caller approximates those).
    pub fn complement(&self) -> (Vec<Obj>, Vec<&'static str>) {
        let (mut out, mut approximated) = (Vec::new(), Vec::new());
        out.extend(counts_outside(self.min, self.max).map(|(min, max)| Obj {
            min,
            max,
            ..Obj::default()
        }));
        let absent = |p: &str| ObjShape {
            props: BTreeMap::from([(p.to_owned(), Expr::Never)]),
            patterns: Vec::new(),
            additional: Expr::Any,
        };
        for r in &self.required {
            out.push(Obj {
                shapes: vec![absent(r)],
                ..Obj::default()
            });
        }
        for shape in &self.shapes {
            for (p, e) in &shape.props {
                if *e == Expr::Any {
                    continue;
                }
                out.push(Obj {
                    shapes: vec![ObjShape {
                        props: BTreeMap::from([(p.clone(), Expr::not(e.clone()))]),
                        patterns: Vec::new(),
                        additional: Expr::Any,
                    }],
                    required: [p.clone()].into(),
                    ..Obj::default()
                });
            }
            if shape.additional != Expr::Any || shape.patterns.iter().any(|(_, e)| *e != Expr::Any)
            {
                approximated.push("additionalProperties/patternProperties");
            }
        }
        if self.names.iter().any(|e| *e != Expr::Any) {
            approximated.push("propertyNames");
        }
        for (p, qs) in &self.dep_required {
            for q in qs {
                out.push(Obj {
                    shapes: vec![absent(q)],
                    required: [p.clone()].into(),
                    ..Obj::default()
                });
            }
        }
        if !self.dep_schemas.is_empty() {
            approximated.push("dependentSchemas");
        }
        (out, approximated)
    }
}

pub(crate) fn apply_obj(
    o: &mut Obj,
    obj: &Map<String, Value>,
    dialect: Dialect,
    child: &dyn Fn(&[&str]) -> Expr,
    in_place: bool,
) -> Option<String> {
    let mut note = None;
    let modern = matches!(dialect, Dialect::Draft201909 | Dialect::Draft202012);
    if let Some(x) = obj.get("minProperties").and_then(count) {
        o.min = o.min.max(x);
    }
    if let Some(x) = obj.get("maxProperties").and_then(count) {
        o.max = min_opt(o.max, Some(x));
    }
    if let Some(Value::Array(rs)) = obj.get("required") {
        o.required
            .extend(rs.iter().filter_map(|r| r.as_str().map(str::to_owned)));
    }
    let props: BTreeMap<String, Expr> = match obj.get("properties") {
        Some(Value::Object(m)) => m
            .keys()
            .map(|k| (k.clone(), child(&["properties", k])))
            .collect(),
        _ => BTreeMap::new(),
    };
    let patterns: Vec<(Rc<str>, Expr)> = match obj.get("patternProperties") {
        Some(Value::Object(m)) => m
            .keys()
            .map(|k| (Rc::from(k.as_str()), child(&["patternProperties", k])))
            .collect(),
        _ => Vec::new(),
    };
    let mut additional = obj
        .get("additionalProperties")
        .map(|_| child(&["additionalProperties"]));
    if modern && obj.contains_key("unevaluatedProperties") && additional.is_none() {
        if in_place {
            note = Some(
                "unevaluatedProperties beside in-place applicators is approximated".to_owned(),
            );
        } else {
            additional = Some(child(&["unevaluatedProperties"]));
        }
    }
    if !props.is_empty() || !patterns.is_empty() || additional.is_some() {
        o.shapes.push(ObjShape {
            props,
            patterns,
            additional: additional.unwrap_or(Expr::Any),
        });
    }
    if obj.contains_key("propertyNames") {
        o.names.push(child(&["propertyNames"]));
    }
    if let Some(Value::Object(m)) = obj.get("dependentRequired").filter(|_| modern) {
        for (p, qs) in m {
            if let Value::Array(qs) = qs {
                o.dep_required.push((
                    p.clone(),
                    qs.iter()
                        .filter_map(|q| q.as_str().map(str::to_owned))
                        .collect(),
                ));
            }
        }
    }
    if let Some(Value::Object(m)) = obj.get("dependentSchemas").filter(|_| modern) {
        for p in m.keys() {
            o.dep_schemas
                .push((p.clone(), child(&["dependentSchemas", p])));
        }
    }
    if let Some(Value::Object(m)) = obj.get("dependencies").filter(|_| !modern) {
        for (p, d) in m {
            match d {
                Value::Array(qs) => o.dep_required.push((
                    p.clone(),
                    qs.iter()
                        .filter_map(|q| q.as_str().map(str::to_owned))
                        .collect(),
                )),
                _ => o.dep_schemas.push((p.clone(), child(&["dependencies", p]))),
            }
        }
    }
    note
}

impl Engine<'_> {
    /// Whether an object atom is empty because a required property's value
    /// constraints contradict each other (the tag of a discriminated union).
    pub(crate) fn required_conflict(&mut self, a: &Atom) -> Result<bool, Fatal> {
        let Kind::Obj(o) = &a.kind else {
            return Ok(false);
        };
        for r in &o.required {
            let e = self.schema_for(o, r)?;
            if matches!(e, Expr::And(_)) && self.norm(&e, Pol::Over)?.atoms.is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(crate) fn admits_obj(
        &mut self,
        o: &Obj,
        m: &Map<String, Value>,
        whole: &Value,
        pol: Pol,
    ) -> Result<bool, String> {
        let n = m.len() as u64;
        if n < o.min || o.max.is_some_and(|x| n > x) {
            return Ok(false);
        }
        if o.required.iter().any(|r| !m.contains_key(r)) {
            return Ok(false);
        }
        for (k, v) in m {
            let e = self.schema_for(o, k)?;
            if !self.admits(&e, v, pol)? {
                return Ok(false);
            }
            for ne in o.names.clone() {
                if !self.admits(&ne, &Value::String(k.clone()), pol)? {
                    return Ok(false);
                }
            }
        }
        for (p, qs) in &o.dep_required {
            if m.contains_key(p) && qs.iter().any(|q| !m.contains_key(q)) {
                return Ok(false);
            }
        }
        for (p, s) in o.dep_schemas.clone() {
            if m.contains_key(&p) && !self.admits(&s, whole, pol)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// What the value of property `name` must satisfy in an object of `o`.
    pub(crate) fn schema_for(&mut self, o: &Obj, name: &str) -> Result<Expr, String> {
        let mut parts = Vec::new();
        for shape in &o.shapes {
            parts.push(self.shape_schema_for(shape, name)?);
        }
        Ok(Expr::and(parts))
    }

    pub(crate) fn shape_schema_for(
        &mut self,
        shape: &ObjShape,
        name: &str,
    ) -> Result<Expr, String> {
        let mut parts = Vec::new();
        let mut matched = false;
        for (p, e) in &shape.patterns {
            if self.patterns.is_match(p, name)? {
                matched = true;
                parts.push(e.clone());
            }
        }
        if let Some(e) = shape.props.get(name) {
            parts.push(e.clone());
        } else if !matched {
            parts.push(shape.additional.clone());
        }
        Ok(Expr::and(parts))
    }

    /// Value constraint for a name outside every declared property that
    /// matches exactly the patterns in `matching`.
    pub(crate) fn region_schema(o: &Obj, matching: &[Rc<str>]) -> Expr {
        Expr::and(
            o.shapes
                .iter()
                .map(|shape| {
                    let hits: Vec<Expr> = shape
                        .patterns
                        .iter()
                        .filter(|(p, _)| matching.contains(p))
                        .map(|(_, e)| e.clone())
                        .collect();
                    if hits.is_empty() {
                        shape.additional.clone()
                    } else {
                        Expr::and(hits)
                    }
                })
                .collect(),
        )
    }
}

/// What an object inclusion found so far: refutations, and the first reason
/// a part could not be decided.
#[derive(Default)]
struct Findings {
    fails: Vec<Fail>,
    unknown: Option<String>,
}

impl Findings {
    fn note(&mut self, reason: String) {
        self.unknown.get_or_insert(reason);
    }

    fn outcome(self) -> Outcome {
        if !self.fails.is_empty() {
            Outcome::Fails(self.fails)
        } else if let Some(r) = self.unknown {
            Outcome::Unknown(r)
        } else {
            Outcome::Holds
        }
    }
}

/// A refutation at `path` whose origins the caller fills in.
fn simple(kind: &'static str, witness: Value, path: Vec<String>, detail: String) -> Fail {
    Fail {
        witness,
        kind,
        path,
        sub_origin: None,
        sup_origin: None,
        detail,
    }
}

impl Prover<'_> {
    /// Whether every object of `x` is one of `y`: keyword group by keyword
    /// group, each refuted by a witness object or left undecided.
    pub(crate) fn sub_obj(&mut self, x: &Obj, y: &Obj) -> R<Outcome> {
        let mut acc = Findings::default();
        self.sub_obj_required(x, y, &mut acc)?;
        let names: BTreeSet<String> = x.declared().union(&y.declared()).cloned().collect();
        self.sub_obj_properties(x, y, &names, &mut acc)?;
        self.sub_obj_pattern_regions(x, y, &names, &mut acc)?;
        self.sub_obj_counts(x, y, &mut acc)?;
        self.sub_obj_property_names(x, y, &mut acc)?;
        self.sub_obj_dependencies(x, y, &mut acc)?;
        Ok(acc.outcome())
    }

    /// Names `y` requires that `x` does not.
    fn sub_obj_required(&mut self, x: &Obj, y: &Obj, acc: &mut Findings) -> R<()> {
        for r in y.required.difference(&x.required) {
            match self.example_obj(x, &[], &[r.as_str()], 0)? {
                Some(w) => acc.fails.push(simple(
                    "REQUIRED_PROPERTY_ADDED",
                    w,
                    vec![r.clone()],
                    format!("property {r:?} is now required"),
                )),
                None => acc.note(format!("could not build an object without {r:?}")),
            }
        }
        Ok(())
    }

    /// Each declared property: `x`'s schema for it within `y`'s.
    fn sub_obj_properties(
        &mut self,
        x: &Obj,
        y: &Obj,
        names: &BTreeSet<String>,
        acc: &mut Findings,
    ) -> R<()> {
        for n in names {
            let vb = self.eng.schema_for(y, n)?;
            if vb == Expr::Any {
                continue;
            }
            let va = self.eng.schema_for(x, n)?;
            match self.sub(&va, &vb)? {
                Outcome::Holds => {}
                Outcome::Fails(fs) => {
                    let removed = self.eng.norm(&vb, Pol::Under)?.atoms.is_empty();
                    let relabel = removed.then(|| {
                        (
                            "PROPERTY_REMOVED",
                            format!("property {n:?} is no longer accepted"),
                        )
                    });
                    let unbuilt = format!("could not build an object around property {n:?}");
                    self.refute_at_property(x, n, fs, relabel, &unbuilt, acc)?;
                }
                Outcome::Unknown(r) => acc.note(r),
            }
        }
        Ok(())
    }

    /// Undeclared names, region by region of the patterns they match: `x`'s schema there within `y`'s.
    fn sub_obj_pattern_regions(
        &mut self,
        x: &Obj,
        y: &Obj,
        names: &BTreeSet<String>,
        acc: &mut Findings,
    ) -> R<()> {
        let mut pats: Vec<Rc<str>> = x.patterns();
        pats.extend(y.patterns());
        pats.sort();
        pats.dedup();
        if pats.len() > 6 {
            acc.note("too many patternProperties to compare".into());
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
                        acc.note(r);
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
                let relabel = removed.then(|| {
                    (
                        "ADDITIONAL_PROPERTIES_NARROWED",
                        format!("undeclared properties such as {name:?} are no longer accepted"),
                    )
                });
                let unbuilt = "could not build an object with an extra property";
                self.refute_at_property(x, &name, fs, relabel, unbuilt, acc)?;
            }
        }
        Ok(())
    }

    /// Refutations of the value at property `name`, each placed in an
    /// object of `x` (two kept: the report names each path once); with
    /// `relabel`'s kind and detail when the reader accepts no value there.
    fn refute_at_property(
        &mut self,
        x: &Obj,
        name: &str,
        fs: Vec<Fail>,
        relabel: Option<(&'static str, String)>,
        unbuilt: &str,
        acc: &mut Findings,
    ) -> R<()> {
        for f in fs.into_iter().take(2) {
            match self.example_obj(x, &[(name, f.witness.clone())], &[], 0)? {
                Some(w) => {
                    let mut f = f.nest(name.to_owned(), w);
                    if let Some((kind, detail)) = &relabel {
                        f.kind = kind;
                        f.detail = detail.clone();
                    }
                    acc.fails.push(f);
                }
                None => acc.note(unbuilt.to_owned()),
            }
        }
        Ok(())
    }

    /// `minProperties` and `maxProperties`.
    fn sub_obj_counts(&mut self, x: &Obj, y: &Obj, acc: &mut Findings) -> R<()> {
        if y.min > x.min && (x.required.len() as u64) < y.min {
            match self.example_obj(x, &[], &[], 0)? {
                Some(w) if (w.as_object().map_or(0, Map::len) as u64) < y.min => {
                    acc.fails.push(simple(
                        "MIN_PROPERTIES_INCREASED",
                        w,
                        Vec::new(),
                        format!(
                            "objects with fewer than {} properties are no longer accepted",
                            y.min
                        ),
                    ))
                }
                _ => acc.note("could not decide minProperties".into()),
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
                    Some(w) => acc.fails.push(simple(
                        "MAX_PROPERTIES_DECREASED",
                        w,
                        Vec::new(),
                        format!("objects with more than {ym} properties are no longer accepted"),
                    )),
                    None => acc.note("could not decide maxProperties".into()),
                }
            }
        }
        Ok(())
    }

    /// `propertyNames`: every name `x` allows, `y` allows.
    fn sub_obj_property_names(&mut self, x: &Obj, y: &Obj, acc: &mut Findings) -> R<()> {
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
                            acc.note(r);
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
                Some(w) => acc.fails.push(simple(
                    "PROPERTY_NAMES_NARROWED",
                    w,
                    Vec::new(),
                    "some property names are no longer accepted".into(),
                )),
                None => acc.note("could not decide propertyNames".into()),
            }
        }
        Ok(())
    }

    /// `dependentRequired` and `dependentSchemas`.
    fn sub_obj_dependencies(&mut self, x: &Obj, y: &Obj, acc: &mut Findings) -> R<()> {
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
                    Some(w) => acc.fails.push(simple(
                        "DEPENDENCY_ADDED",
                        w,
                        Vec::new(),
                        format!("property {p:?} now requires {q:?}"),
                    )),
                    None => acc.note(format!("could not decide the dependency {p:?} -> {q:?}")),
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
                Some(w) if !self.eng.admits(s, &w, Pol::Under)? => acc.fails.push(simple(
                    "DEPENDENT_SCHEMA_ADDED",
                    w,
                    Vec::new(),
                    format!("objects with {p:?} must now satisfy a dependent schema"),
                )),
                _ => acc.note(format!("could not decide the dependent schema of {p:?}")),
            }
        }
        Ok(())
    }

    /// A property name in `spec` that `x` accepts as a name.
    pub(crate) fn fresh_name(&mut self, x: &Obj, spec: &StrSpec) -> R<Option<String>> {
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
    pub(crate) fn closed_names(&mut self, x: &Obj) -> R<Option<BTreeSet<String>>> {
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
    pub(crate) fn example_obj(
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
