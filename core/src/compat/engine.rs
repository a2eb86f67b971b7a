//! The normaliser: schema nodes and expressions to [`Norm`]s, with meet, complement and membership.
//!
//! All recursion here is one level deep at a time (children stay lazy), so a
//! `$ref` cycle met while normalising passed through no instance keyword:
//! it is reported as a schema error instead of being followed.

use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::array::*;
use super::norm::*;
use super::number::*;
use super::object::*;
use super::patterns::Patterns;
use super::string::*;
use crate::schema::{Dialect, Location, SchemaError, SchemaSet, lookup};

/// Atoms a single normal form may hold before the checker gives up on it.
const MAX_ATOMS: usize = 512;

/// Approximation direction: `Over` may only grow a set, `Under` only shrink it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Pol {
    Over,
    Under,
}

impl Pol {
    pub fn flip(self) -> Pol {
        match self {
            Pol::Over => Pol::Under,
            Pol::Under => Pol::Over,
        }
    }
}

/// Why the checker could not go on at all.
#[derive(Debug, Clone)]
pub(crate) enum Fatal {
    Schema(SchemaError),
    /// This question cannot be decided here (a pattern without an automaton, a budget).
    Undecidable(String),
}

impl From<String> for Fatal {
    fn from(s: String) -> Fatal {
        Fatal::Undecidable(s)
    }
}

pub(crate) struct Engine<'a> {
    pub sets: Sets<'a>,
    pub patterns: Patterns,
    norms: FxMap<(Expr, Pol), Rc<Norm>>,
    plain: FxMap<(Side, Loc), bool>,
    /// Pairs of writer and reader locations known to be (or not to be) the
    /// same schema up to URIs.
    iso: FxMap<(Loc, Loc), bool>,
    normalising: FxSet<(Expr, Pol)>,
}

/// Keywords that never reject an instance.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$recursiveAnchor",
    "$comment",
    "$defs",
    "definitions",
    "$vocabulary",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "format",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "then",
    "else",
    "minContains",
    "maxContains",
    "additionalItems",
    "discriminator",
    "nullable",
    "example",
];

/// Keywords with a rule in [`Engine::node_norm`].
const KNOWN: &[&str] = &[
    "type",
    "enum",
    "const",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "properties",
    "patternProperties",
    "additionalProperties",
    "required",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "unevaluatedProperties",
    "unevaluatedItems",
    "$dynamicRef",
    "$recursiveRef",
];

/// Keywords that can reject instances but that evreg does not model.
fn is_assertion_without_rule(k: &str) -> bool {
    !ANNOTATIONS.contains(&k) && !KNOWN.contains(&k) && k.starts_with('$')
}

impl<'a> Engine<'a> {
    pub fn new(sets: Sets<'a>) -> Engine<'a> {
        Engine {
            sets,
            patterns: Patterns,
            norms: FxMap::default(),
            plain: FxMap::default(),
            iso: FxMap::default(),
            normalising: FxSet::default(),
        }
    }

    /// Where a `$dynamicRef` (or `$recursiveRef`) `r` at `here` lands, when
    /// that does not depend on the path taken to it: the static target when
    /// it declares no matching dynamic anchor (it is then a `$ref`); else the
    /// root resource's matching anchor, the root being the outermost dynamic
    /// scope of every evaluation; else the static target when no other
    /// resource declares that anchor. `None` when the path decides.
    fn dynamic_target(
        &mut self,
        side: Side,
        here: &Location,
        keyword: &str,
        r: &str,
    ) -> Result<Option<Location>, Fatal> {
        let set = self.sets.set(side);
        let target = set.resolve(here, r).map_err(Fatal::Schema)?;
        let (anchor, name) = match keyword {
            "$dynamicRef" => match r.rsplit_once('#') {
                Some((_, name)) if !name.is_empty() && !name.starts_with('/') => {
                    ("$dynamicAnchor", Value::String(name.to_owned()))
                }
                _ => return Ok(Some(target)),
            },
            _ if r == "#" => ("$recursiveAnchor", Value::Bool(true)),
            _ => return Ok(Some(target)),
        };
        let declares = |l: &Location| set.get(l).and_then(|v| v.get(anchor)) == Some(&name);
        if !declares(&target) {
            return Ok(Some(target));
        }
        let root = set.root();
        let outermost = match &name {
            Value::String(n) => set.resolve(&root, &format!("#{n}")).ok(),
            _ => Some(root),
        };
        if let Some(o) = outermost.filter(|o| declares(o) && o.base == set.root().base) {
            return Ok(Some(o));
        }
        let declared = set
            .documents()
            .map(|(_, d)| count_key(d, anchor, &name))
            .sum::<usize>();
        Ok((declared == 1).then_some(target))
    }

    /// Whether two nodes are the same schema text in the same dialect, with no
    /// keyword whose meaning depends on context (`$ref`) or that negates (`not`,
    /// `if`, `oneOf`): then the writer's view is included in the reader's under
    /// either policy, since LENIENT only closes the writer and opens the reader.
    pub fn identical(&mut self, a: &Loc, b: &Loc) -> bool {
        let [oa, ob] = self.sets.originals;
        let (Some(va), Some(vb)) = (
            lookup(oa.document(a.doc), &a.pointer),
            lookup(ob.document(b.doc), &b.pointer),
        ) else {
            return false;
        };
        if oa.dialect(a.doc) != ob.dialect(b.doc) {
            return false;
        }
        if va == vb {
            let key = (0, a.clone());
            if let Some(p) = self.plain.get(&key) {
                if *p {
                    return true;
                }
            } else {
                let p = is_plain(va);
                self.plain.insert(key, p);
                if p {
                    return true;
                }
            }
        }
        self.isomorphic(a, b)
    }

    /// Whether the writer's schema at `a` and the reader's at `b` are the
    /// same schema up to the URIs they are known by: equal keyword by
    /// keyword, except `$id`s and the text of `$ref`s, whose targets must be
    /// isomorphic in turn (co-inductively: the pairs visited form a
    /// bisimulation, so a recursive schema compares in one walk). Versioned
    /// families that only renumber their `$id`s (`.../2.0.0/schema.json` →
    /// `.../2.1.0/schema.json`), shared files and metaschemas both versions
    /// reference then compare in one step. Dynamic references depend on
    /// where evaluation entered and end the walk; under LENIENT, where the
    /// two sides see different views, so do non-monotone keywords (`not`,
    /// `if`, `oneOf`), which could make the writer's closed view leave the
    /// reader's open one.
    fn isomorphic(&mut self, a: &Loc, b: &Loc) -> bool {
        let key = (a.clone(), b.clone());
        if let Some(r) = self.iso.get(&key) {
            return *r;
        }
        let [oa, ob] = self.sets.originals;
        let views_differ =
            !self.sets.sides[0].same_documents(oa) || !self.sets.sides[1].same_documents(ob);
        let mut visited: Vec<(Loc, Loc)> = vec![key.clone()];
        let mut seen: FxSet<(Loc, Loc)> = FxSet::default();
        seen.insert(key.clone());
        let mut i = 0;
        let mut ok = true;
        while i < visited.len() && ok {
            let (x, y) = visited[i].clone();
            i += 1;
            if visited.len() > 100_000 {
                ok = false;
                break;
            }
            let mut targets = Vec::new();
            ok = same_shape(
                oa,
                &x.location(),
                ob,
                &y.location(),
                views_differ,
                &mut targets,
            );
            for (tx, ty) in targets {
                let pair = (Loc::from_owned(tx), Loc::from_owned(ty));
                if let Some(known) = self.iso.get(&pair) {
                    if !known {
                        ok = false;
                    }
                    continue;
                }
                if seen.insert(pair.clone()) {
                    visited.push(pair);
                }
            }
        }
        if ok {
            for pair in visited {
                self.iso.insert(pair, true);
            }
        } else {
            self.iso.insert(key, false);
        }
        ok
    }

    /// One level of `e` as atoms.
    pub fn norm(&mut self, e: &Expr, pol: Pol) -> Result<Rc<Norm>, Fatal> {
        let key = (e.clone(), pol);
        if let Some(n) = self.norms.get(&key) {
            return Ok(n.clone());
        }
        if !self.normalising.insert(key.clone()) {
            let (doc, pointer, reference) = match e.origin() {
                Some(l) => (
                    self.sets.set(side_of(e)).doc_uri(l.doc).to_owned(),
                    l.pointer.to_string(),
                    self.sets
                        .value(side_of(e), l)
                        .and_then(|v| v.get("$ref"))
                        .and_then(Value::as_str)
                        .unwrap_or("#")
                        .to_owned(),
                ),
                None => (String::new(), String::new(), String::new()),
            };
            return Err(Fatal::Schema(SchemaError::CyclicRef {
                doc,
                pointer,
                reference,
            }));
        }
        let result = self.norm_uncached(e, pol);
        self.normalising.remove(&key);
        let n = Rc::new(result?);
        self.norms.insert(key, n.clone());
        Ok(n)
    }

    fn norm_uncached(&mut self, e: &Expr, pol: Pol) -> Result<Norm, Fatal> {
        Ok(match e {
            Expr::Any => Norm::universe(None),
            Expr::Never => Norm::never(),
            Expr::Type(t) => Norm {
                atoms: type_atoms(t, None),
                approx: Vec::new(),
            },
            Expr::Lit(text) => {
                let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                Norm {
                    atoms: vec![Atom::new(Kind::Value(Rc::new(v), Vec::new()), None)],
                    approx: Vec::new(),
                }
            }
            Expr::And(parts) => {
                let mut acc = Norm::universe(None);
                for p in parts {
                    let n = self.norm(p, pol)?;
                    acc = self.meet(&acc, &n, pol);
                    if acc.atoms.is_empty() {
                        break;
                    }
                }
                acc
            }
            Expr::Or(parts) => {
                let mut acc = Norm::never();
                for p in parts {
                    let n = self.norm(p, pol)?;
                    acc.atoms.extend(n.atoms.iter().cloned());
                    acc.approx.extend(n.approx.iter().cloned());
                }
                acc
            }
            Expr::Not(inner) => {
                let n = self.norm(inner, pol.flip())?;
                self.complement(&n, pol)
            }
            Expr::Node(side, loc) => self.node_norm(*side, loc, pol)?,
        })
    }

    fn node_norm(&mut self, side: Side, loc: &Loc, pol: Pol) -> Result<Norm, Fatal> {
        let set: &'a SchemaSet = self.sets.sides[usize::from(side)];
        let value: &'a Value =
            lookup(set.document(loc.doc), &loc.pointer).unwrap_or(&Value::Bool(true));
        let obj = match value {
            Value::Bool(true) => return Ok(Norm::universe(Some(loc.clone()))),
            Value::Bool(false) => return Ok(Norm::never()),
            Value::Object(m) => m,
            _ => return Ok(Norm::universe(Some(loc.clone()))),
        };
        let dialect = set.dialect(loc.doc);
        let origin = Some(loc.clone());
        let here = loc.location();
        let child = |path: &[&str]| {
            Expr::Node(
                side,
                Loc::from_owned(SchemaSet::child_in(&here, value, path, dialect)),
            )
        };
        let resolve = |r: &str| -> Result<Expr, Fatal> {
            set.resolve(&here, r)
                .map(|l| Expr::Node(side, Loc::from_owned(l)))
                .map_err(Fatal::Schema)
        };
        if dialect.ref_overrides_siblings()
            && let Some(r) = obj.get("$ref").and_then(Value::as_str)
        {
            let target = resolve(r)?;
            return self.norm(&target, pol).map(|n| (*n).clone());
        }
        let mut approx: Vec<String> = Vec::new();
        let mut parts: Vec<Expr> = Vec::new();
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            parts.push(resolve(r)?);
        }
        for k in ["$dynamicRef", "$recursiveRef"] {
            let Some(r) = obj.get(k) else { continue };
            match r
                .as_str()
                .map(|r| self.dynamic_target(side, &here, k, r))
                .transpose()?
            {
                Some(Some(target)) => parts.push(Expr::Node(side, Loc::from_owned(target))),
                _ => {
                    approx.push(format!(
                        "{k} at {} may land on more than one schema",
                        loc.pointer
                    ));
                    if pol == Pol::Under {
                        return Ok(Norm {
                            atoms: Vec::new(),
                            approx,
                        });
                    }
                }
            }
        }
        for k in obj.keys() {
            if is_assertion_without_rule(k) {
                approx.push(format!("keyword {k} at {} is not modelled", loc.pointer));
            }
        }
        // A literal beyond 64-bit integers is known only as its f64, which
        // neighbouring integers share: such a `const` or `enum` value may not
        // be proven equal to another (only the reader's side is narrowed, so
        // a writer's literal still yields witnesses).
        let literals = |k: &str| {
            obj.get(k)
                .map(|v| with_literals(v, &format!("{}/{k}", loc.pointer), set.literals(loc.doc)))
        };
        let (enum_values, const_value) = (literals("enum"), literals("const"));
        for (k, v) in [("const", &const_value), ("enum", &enum_values)] {
            if let Some(n) = v.as_ref().and_then(imprecise_number) {
                approx.push(format!(
                    "the number {n} in {k} at {} is beyond the precision evreg compares exactly (integers past 64 bits)",
                    loc.pointer
                ));
            }
        }
        if let Some(Value::Array(xs)) = obj.get("allOf") {
            parts.extend((0..xs.len()).map(|i| child(&["allOf", &i.to_string()])));
        }
        if let Some(Value::Array(xs)) = obj.get("anyOf") {
            parts.push(Expr::or(
                (0..xs.len())
                    .map(|i| child(&["anyOf", &i.to_string()]))
                    .collect(),
            ));
        }
        if let Some(Value::Array(xs)) = obj.get("oneOf") {
            let branches: Vec<Expr> = (0..xs.len())
                .map(|i| child(&["oneOf", &i.to_string()]))
                .collect();
            parts.push(self.one_of(branches, pol)?);
        }
        if obj.contains_key("not") {
            parts.push(Expr::not(child(&["not"])));
        }
        if obj.contains_key("if") {
            let i = child(&["if"]);
            let t = if obj.contains_key("then") {
                child(&["then"])
            } else {
                Expr::Any
            };
            let e = if obj.contains_key("else") {
                child(&["else"])
            } else {
                Expr::Any
            };
            parts.push(Expr::or(vec![
                Expr::and(vec![i.clone(), t]),
                Expr::and(vec![Expr::not(i), e]),
            ]));
        }
        // The node's own keywords, per type.
        let types: Vec<String> = crate::schema::type_names(obj);
        let mut atoms: Vec<Atom> = if obj.contains_key("type") {
            types
                .iter()
                .flat_map(|t| type_atoms(t, origin.clone()))
                .collect()
        } else {
            all_types(origin.clone())
        };
        let in_place = [
            "allOf",
            "anyOf",
            "oneOf",
            "not",
            "if",
            "$ref",
            "dependentSchemas",
            "$dynamicRef",
            "$recursiveRef",
        ]
        .iter()
        .any(|k| obj.contains_key(*k));
        for atom in &mut atoms {
            match &mut atom.kind {
                Kind::Num(n) => apply_num(n, obj, dialect, |k: &str| {
                    literals(k).as_ref().and_then(exact_digits)?.parse().ok()
                }),
                Kind::Str(s) => apply_str(s, obj),
                Kind::Arr(a) => {
                    if let Some(r) = apply_arr(a, obj, dialect, &child, in_place) {
                        approx.push(format!("{r} at {}", loc.pointer));
                    }
                }
                Kind::Obj(o) => {
                    if let Some(r) = apply_obj(o, obj, dialect, &child, in_place) {
                        approx.push(format!("{r} at {}", loc.pointer));
                    }
                }
                _ => {}
            }
        }
        // Approximated keywords: under-approximate by dropping the atom type they constrain.
        if pol == Pol::Under && !approx.is_empty() {
            atoms.clear();
        }
        let mut norm = Norm { atoms, approx };
        let mut values: Option<Vec<Value>> = None;
        if let Some(Value::Array(vs)) = enum_values {
            values = Some(vs);
        }
        if let Some(c) = const_value {
            values = Some(match values {
                Some(vs) => vs.into_iter().filter(|v| json_eq(v, &c)).collect(),
                None => vec![c],
            });
        }
        if let Some(vs) = values {
            let lits = Norm {
                atoms: vs
                    .into_iter()
                    .map(|v| Atom::new(Kind::Value(Rc::new(v), Vec::new()), origin.clone()))
                    .collect(),
                approx: Vec::new(),
            };
            norm = self.meet(&norm, &lits, pol);
        }
        for p in parts {
            if norm.atoms.is_empty() {
                break;
            }
            let n = self.norm(&p, pol)?;
            norm = self.meet(&norm, &n, pol);
            // Each `if` doubles the atoms; discriminated ones (a property's
            // `const` per branch) leave most combinations empty. Dropping
            // those as they appear keeps ten `if`s at a dozen atoms, not 1,024.
            if norm.atoms.len() > 8 {
                let mut kept = Vec::with_capacity(norm.atoms.len());
                for a in std::mem::take(&mut norm.atoms) {
                    if !self.required_conflict(&a)? {
                        kept.push(a);
                    }
                }
                norm.atoms = kept;
            }
        }
        Ok(norm)
    }

    /// `oneOf`: exactly one branch holds. Branches that provably cannot
    /// overlap need no exclusion, so the common discriminated case stays a plain union.
    fn one_of(&mut self, branches: Vec<Expr>, pol: Pol) -> Result<Expr, Fatal> {
        let n = branches.len();
        let mut norms = Vec::with_capacity(n);
        for b in &branches {
            norms.push(self.norm(b, Pol::Over)?);
        }
        let mut overlaps = vec![vec![false; n]; n];
        for i in 0..n {
            for j in (i + 1)..n {
                let m = self.meet(&norms[i], &norms[j], Pol::Over);
                let mut o = false;
                for a in &m.atoms {
                    if !self.required_conflict(a)? {
                        o = true;
                        break;
                    }
                }
                overlaps[i][j] = o;
                overlaps[j][i] = o;
            }
        }
        if n > 8 && overlaps.iter().flatten().any(|o| *o) && pol == Pol::Under {
            return Ok(Expr::Never);
        }
        Ok(Expr::or(
            (0..n)
                .map(|i| {
                    let mut parts = vec![branches[i].clone()];
                    for j in 0..n {
                        if j != i && overlaps[i][j] {
                            parts.push(Expr::not(branches[j].clone()));
                        }
                    }
                    Expr::and(parts)
                })
                .collect(),
        ))
    }

    /// The intersection of two normal forms.
    pub fn meet(&mut self, a: &Norm, b: &Norm, pol: Pol) -> Norm {
        let mut approx: Vec<String> = a.approx.iter().chain(&b.approx).cloned().collect();
        let mut atoms = Vec::new();
        for x in &a.atoms {
            for y in &b.atoms {
                if let Some(m) = self.meet_atom(x, y) {
                    atoms.push(m);
                }
            }
            if atoms.len() > MAX_ATOMS {
                approx.push("normal form grew too large".to_owned());
                if pol == Pol::Under {
                    atoms.clear();
                } else {
                    atoms = a.atoms.clone();
                }
                break;
            }
        }
        approx.dedup();
        Norm { atoms, approx }
    }

    fn meet_atom(&mut self, x: &Atom, y: &Atom) -> Option<Atom> {
        let origin = x.origin.clone().or_else(|| y.origin.clone());
        let mut except = x.except.clone();
        except.extend(y.except.iter().cloned());
        let kind = match (&x.kind, &y.kind) {
            (Kind::Value(v, g), other) | (other, Kind::Value(v, g)) => {
                let mut guards = g.clone();
                match other {
                    Kind::Value(w, g2) => {
                        if !json_eq(v, w) {
                            return None;
                        }
                        guards.extend(g2.iter().cloned());
                    }
                    Kind::Arr(_) | Kind::Obj(_) => {
                        if json_type(v) != "array" && json_type(v) != "object" {
                            return None;
                        }
                        let other_atom = Atom::new(other.clone(), None);
                        if other_atom.type_name() != json_type(v) {
                            return None;
                        }
                        guards.push(other_atom);
                    }
                    scalar => {
                        let probe = Atom::new(scalar.clone(), None);
                        if self.admits_atom(&probe, v, Pol::Over) != Ok(true) {
                            return None;
                        }
                    }
                }
                if except.iter().any(|e| json_eq(e, v)) {
                    return None;
                }
                Kind::Value(v.clone(), guards)
            }
            (Kind::Null, Kind::Null) => Kind::Null,
            (Kind::Bool(p), Kind::Bool(q)) if p == q => Kind::Bool(*p),
            (Kind::Num(p), Kind::Num(q)) => Kind::Num(p.meet(q)?),
            (Kind::Str(p), Kind::Str(q)) => Kind::Str(p.meet(q)?),
            (Kind::Arr(p), Kind::Arr(q)) => Kind::Arr(p.meet(q)?),
            (Kind::Obj(p), Kind::Obj(q)) => Kind::Obj(p.meet(q)?),
            _ => return None,
        };
        Some(Atom {
            kind,
            except,
            origin,
        })
    }

    /// The complement of a normal form, approximated towards `pol` where it must be.
    pub fn complement(&mut self, n: &Norm, pol: Pol) -> Norm {
        let mut acc = Norm::universe(None);
        acc.approx = n.approx.clone();
        for atom in &n.atoms {
            let c = self.complement_atom(atom, pol);
            acc = self.meet(&acc, &c, pol);
        }
        acc
    }

    fn complement_atom(&mut self, a: &Atom, pol: Pol) -> Norm {
        let origin = a.origin.clone();
        let mut approx = Vec::new();
        let same = |k: Kind| Atom::new(k, origin.clone());
        // Every other type, whole.
        let mut atoms: Vec<Atom> = all_types(origin.clone())
            .into_iter()
            .filter(|t| match (&t.kind, &a.kind) {
                (Kind::Null, Kind::Null) => false,
                (Kind::Bool(p), Kind::Bool(q)) => p != q,
                (Kind::Num(_), Kind::Num(_)) => false,
                (Kind::Str(_), Kind::Str(_)) => false,
                (Kind::Arr(_), Kind::Arr(_)) => false,
                (Kind::Obj(_), Kind::Obj(_)) => false,
                // By the value's JSON type (an exact integer is a number).
                (t, Kind::Value(v, _)) => match (t, json_type(v)) {
                    (Kind::Null, "null") => false,
                    (Kind::Bool(p), "boolean") => Some(*p) != v.as_bool(),
                    (Kind::Num(_), "integer" | "number")
                    | (Kind::Str(_), "string")
                    | (Kind::Arr(_), "array")
                    | (Kind::Obj(_), "object") => false,
                    _ => true,
                },
                _ => true,
            })
            .collect();
        for e in &a.except {
            atoms.push(same(Kind::Value(e.clone(), Vec::new())));
        }
        let whole_type_if_over = |approx: &mut Vec<String>, atoms: &mut Vec<Atom>, what: &str| {
            approx.push(format!("the complement of {what} is approximated"));
            if pol == Pol::Over
                && let Some(t) = type_atoms(a.type_name(), origin.clone()).into_iter().next()
            {
                atoms.push(t);
            }
        };
        match &a.kind {
            Kind::Null | Kind::Bool(_) => {}
            Kind::Value(v, guards) => {
                let mut whole = type_atoms(json_type(v), origin.clone());
                if json_type(v) == "integer" {
                    whole = type_atoms("number", origin.clone());
                }
                for mut w in whole {
                    if !guards.is_empty() && pol == Pol::Over {
                        atoms.push(w);
                        continue;
                    }
                    if let Kind::Bool(_) = w.kind {
                        continue;
                    }
                    w.except.push(v.clone());
                    atoms.push(w);
                }
            }
            Kind::Num(n) => atoms.extend(n.complement().into_iter().map(|m| same(Kind::Num(m)))),
            Kind::Str(s) => atoms.extend(s.complement().into_iter().map(|t| same(Kind::Str(t)))),
            Kind::Arr(x) => {
                let (parts, approximated) = x.complement();
                atoms.extend(parts.into_iter().map(|p| same(Kind::Arr(p))));
                for what in approximated {
                    whole_type_if_over(&mut approx, &mut atoms, what);
                }
            }
            Kind::Obj(o) => {
                let (parts, approximated) = o.complement();
                atoms.extend(parts.into_iter().map(|p| same(Kind::Obj(p))));
                for what in approximated {
                    whole_type_if_over(&mut approx, &mut atoms, what);
                }
            }
        }
        Norm { atoms, approx }
    }

    /// Whether `v` belongs to the atom. `Err` when a pattern cannot be evaluated.
    pub fn admits_atom(&mut self, a: &Atom, v: &Value, pol: Pol) -> Result<bool, String> {
        if a.except.iter().any(|e| json_eq(e, v)) {
            return Ok(false);
        }
        Ok(match (&a.kind, v) {
            (Kind::Null, Value::Null) => true,
            (Kind::Bool(b), Value::Bool(c)) => b == c,
            (Kind::Num(n), Value::Number(_)) => n.admits_value(v),
            (Kind::Num(n), _) if exact_digits(v).is_some() => n.admits_value(v),
            (_, _) if exact_digits(v).is_some() && !matches!(a.kind, Kind::Value(..)) => false,
            (Kind::Str(s), Value::String(text)) => self.admits_str(s, text)?,
            (Kind::Arr(x), Value::Array(items)) => self.admits_arr(x, items, pol)?,
            (Kind::Obj(o), Value::Object(m)) => self.admits_obj(o, m, v, pol)?,
            (Kind::Value(x, guards), _) => {
                if !json_eq(x, v) {
                    return Ok(false);
                }
                for g in guards.clone() {
                    if !self.admits_atom(&g, v, pol)? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    /// Whether `v` belongs to the set `e` denotes (as normalised with `pol`).
    pub fn admits(&mut self, e: &Expr, v: &Value, pol: Pol) -> Result<bool, String> {
        let n = self.norm(e, pol).map_err(|f| match f {
            Fatal::Schema(s) => s.to_string(),
            Fatal::Undecidable(s) => s,
        })?;
        self.admits_norm(&n, v, pol)
    }

    pub fn admits_norm(&mut self, n: &Norm, v: &Value, pol: Pol) -> Result<bool, String> {
        for a in &n.atoms {
            if self.admits_atom(a, v, pol)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// No `$ref`, negation or dynamic reference anywhere below (keys in data count too: conservative).
fn is_plain(v: &Value) -> bool {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if matches!(
                        k.as_str(),
                        "$ref" | "not" | "if" | "oneOf" | "$dynamicRef" | "$recursiveRef"
                    ) {
                        return false;
                    }
                    stack.push(x);
                }
            }
            Value::Array(a) => stack.extend(a),
            Value::Number(_) if imprecise_number(v).is_some() => return false,
            _ => {}
        }
    }
    true
}

/// Compares the schemas at `x` (in `sa`) and `y` (in `sb`) keyword by
/// keyword, `$id`s aside; pushes the targets of each pair of `$ref`s onto
/// `targets` instead of comparing the reference texts.
fn same_shape(
    sa: &SchemaSet,
    x: &Location,
    sb: &SchemaSet,
    y: &Location,
    views_differ: bool,
    targets: &mut Vec<(Location, Location)>,
) -> bool {
    let (Some(va), Some(vb)) = (sa.get(x), sb.get(y)) else {
        return false;
    };
    if sa.dialect(x.doc) != sb.dialect(y.doc) {
        return false;
    }
    let draft4 = sa.dialect(x.doc) == Dialect::Draft4;
    match (va, vb) {
        (Value::Object(ma), Value::Object(mb)) => {
            let is_id = |k: &str, v: &Value| (k == "$id" || (draft4 && k == "id")) && v.is_string();
            let keys_a = ma.iter().filter(|(k, v)| !is_id(k, v)).count();
            let keys_b = mb.iter().filter(|(k, v)| !is_id(k, v)).count();
            if keys_a != keys_b {
                return false;
            }
            for (k, v) in ma {
                if is_id(k, v) {
                    continue;
                }
                let Some(w) = mb.get(k) else { return false };
                match k.as_str() {
                    "$dynamicRef" | "$recursiveRef" => return false,
                    "not" | "if" | "oneOf" if views_differ => return false,
                    // Data, not schemas: a `$ref` key in them is text.
                    "const" | "enum" | "default" | "examples" if v != w => return false,
                    // Equal as f64 is not equal as written (see `imprecise_number`):
                    // a literal or a bound past 64 bits goes to the model, which knows its digits.
                    _ if imprecise_number(v).is_some() => return false,
                    "const" | "enum" | "default" | "examples" => {}
                    "$ref" if v.is_string() && w.is_string() => {
                        let (Some(ra), Some(rb)) = (v.as_str(), w.as_str()) else {
                            return false;
                        };
                        match (sa.resolve(x, ra), sb.resolve(y, rb)) {
                            (Ok(ta), Ok(tb)) => targets.push((ta, tb)),
                            _ => return false,
                        }
                    }
                    _ => {
                        if !same_shape(
                            sa,
                            &sa.child(x, &[k]),
                            sb,
                            &sb.child(y, &[k]),
                            views_differ,
                            targets,
                        ) {
                            return false;
                        }
                    }
                }
            }
            true
        }
        (Value::Array(xa), Value::Array(xb)) => {
            xa.len() == xb.len()
                && (0..xa.len()).all(|i| {
                    let seg = i.to_string();
                    same_shape(
                        sa,
                        &sa.child(x, &[&seg]),
                        sb,
                        &sb.child(y, &[&seg]),
                        views_differ,
                        targets,
                    )
                })
        }
        (p, q) => p == q,
    }
}

pub(crate) fn side_of(e: &Expr) -> Side {
    match e {
        Expr::Node(s, _) => *s,
        Expr::And(v) | Expr::Or(v) => v.first().map(side_of).unwrap_or(0),
        Expr::Not(x) => side_of(x),
        _ => 0,
    }
}

/// How many objects in `v` have `key: value` (keys in data count too: conservative).
fn count_key(v: &Value, key: &str, value: &Value) -> usize {
    match v {
        Value::Object(m) => {
            usize::from(m.get(key) == Some(value))
                + m.values().map(|x| count_key(x, key, value)).sum::<usize>()
        }
        Value::Array(xs) => xs.iter().map(|x| count_key(x, key, value)).sum(),
        _ => 0,
    }
}

/// `v`, found at `pointer`, with each integer past 64 bits that `literals`
/// (its document's) spells exactly made an exact integer.
fn with_literals(v: &Value, pointer: &str, literals: &[(Arc<str>, Arc<str>)]) -> Value {
    let mut out = v.clone();
    for (p, digits) in literals {
        let Some(inner) = p.strip_prefix(pointer) else {
            continue;
        };
        if !(inner.is_empty() || inner.starts_with('/')) {
            continue;
        }
        if let Some(slot) = out.pointer_mut(inner)
            && crate::schema::literal_matches(slot, digits)
        {
            *slot = exact_integer(digits);
        }
    }
    out
}

/// The first integer past 64 bits in `set` whose digits are not known (its
/// documents were given as values, not text): only its `f64` is.
pub(crate) fn inexact_number(set: &SchemaSet) -> Option<f64> {
    fn walk(v: &Value, at: &mut String, known: &[(Arc<str>, Arc<str>)]) -> Option<f64> {
        match v {
            Value::Number(_) => {
                imprecise_number(v).filter(|_| !known.iter().any(|(p, _)| **p == **at))
            }
            Value::Array(xs) => xs.iter().enumerate().find_map(|(i, x)| {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                let found = walk(x, at, known);
                at.truncate(len);
                found
            }),
            Value::Object(m) => m.iter().find_map(|(k, x)| {
                let len = at.len();
                at.push('/');
                at.push_str(&crate::schema::escape_pointer(k));
                let found = walk(x, at, known);
                at.truncate(len);
                found
            }),
            _ => None,
        }
    }
    (0..set.documents().count()).find_map(|doc| {
        let value = set.document(doc);
        imprecise_number(value)?;
        walk(value, &mut String::new(), set.literals(doc))
    })
}

/// The first number in `v` (searched through arrays and objects) that is an
/// integer too large for `i64`/`u64` and so was read as an `f64` that other
/// integers round to as well.
pub(crate) fn imprecise_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if n.as_i64().is_none() && n.as_u64().is_none() => n
            .as_f64()
            .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() >= 9_007_199_254_740_992.0),
        Value::Array(xs) => xs.iter().find_map(imprecise_number),
        Value::Object(m) => m.values().find_map(imprecise_number),
        _ => None,
    }
}
