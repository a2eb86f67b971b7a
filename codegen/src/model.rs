//! From schemas to a type model: named structs and enums, field types, shared definitions resolved once.
//!
//! Every schema location becomes at most one named type, so a `$ref` reached
//! from many events (or from itself) names one type; identical `$defs`
//! copied between version files also collapse into one.

use std::collections::{HashMap, HashSet};

use evreg_core::schema::{Location, SchemaSet, lookup, type_names};
use serde_json::{Map, Value};

use crate::names::{camel, snake};
use crate::{DateTimeCrate, Error, Options};

pub(crate) type TypeId = usize;

/// A Rust type as it appears in a field or variant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Unit,
    Bool,
    Int(&'static str),
    F64,
    String,
    DateTime,
    Date,
    Uuid,
    Url,
    Value,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Boxed(Box<Ty>),
    Tuple(Vec<Ty>),
    Named(TypeId),
    /// The envelope's payload type parameter.
    Payload,
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub json: String,
    pub ident: String,
    pub ty: Ty,
    pub required: bool,
    /// A scalar default, for optional properties that declare one.
    pub default: Option<Value>,
    pub doc: Option<String>,
    pub deprecated: bool,
    /// Undeclared properties collected into a map (`additionalProperties` schema beside `properties`).
    pub flatten: bool,
    /// Validation keywords of the property that its Rust type cannot carry,
    /// for `schemars` (so a type's schema says what its source says).
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub(crate) enum Def {
    Struct {
        fields: Vec<Field>,
    },
    StrEnum(Vec<(String, String)>),
    IntEnum(Vec<(i64, String)>),
    /// Listed scalar values of mixed types, each variant reading the
    /// values in `reads` and writing `reads[0]` (protobuf's JSON enums pair a
    /// name with its number: the variant reads either and writes the name).
    ValueEnum(Vec<ValueVariant>),
    /// `oneOf` of objects told apart by a `const` property: internally tagged.
    Tagged {
        tag: String,
        variants: Vec<(String, String, TypeId)>,
    },
    /// (variant, type, validation keywords of the branch for schemars).
    Untagged(Vec<(String, Ty, Map<String, Value>)>),
    /// Placeholder while a recursive type is being built.
    Pending,
}

#[derive(Debug, Clone)]
pub(crate) struct ValueVariant {
    pub ident: String,
    /// What the variant reads; the first is what it writes.
    pub reads: Vec<Value>,
    /// The first read's digits, when it is an integer past 64 bits (the
    /// `Value` holds its nearest `f64`): named and written by them.
    pub digits: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub name: String,
    /// The source object has `additionalProperties: false`.
    pub closed: bool,
    pub module: Vec<String>,
    pub doc: Option<String>,
    pub deprecated: bool,
    pub def: Def,
}

/// Builds named types for schema locations.
pub(crate) struct Builder<'o> {
    opts: &'o Options,
    pub types: Vec<TypeDef>,
    by_loc: HashMap<(String, String), TypeId>,
    by_shape: HashMap<(Vec<String>, String, String), TypeId>,
    names: HashMap<Vec<String>, HashSet<String>>,
    /// Document URI → module of the routing key whose version file it is.
    pub modules: HashMap<String, Vec<String>>,
    building: Vec<TypeId>,
    inlining: HashSet<(String, String)>,
    /// Names callers fixed for locations (payload roots), over titles.
    forced: HashMap<(String, String), String>,
    pub warnings: Vec<String>,
}

impl<'o> Builder<'o> {
    pub fn new(opts: &'o Options) -> Builder<'o> {
        Builder {
            opts,
            types: Vec::new(),
            by_loc: HashMap::new(),
            by_shape: HashMap::new(),
            names: HashMap::new(),
            modules: HashMap::new(),
            building: Vec::new(),
            inlining: HashSet::new(),
            forced: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    fn module_of(&self, set: &SchemaSet, at: &Location) -> Vec<String> {
        self.modules
            .get(set.doc_uri(at.doc))
            .cloned()
            .unwrap_or_else(|| vec!["shared".to_owned()])
    }

    /// A name not yet used in `module`, close to `want`.
    fn unique_name(&mut self, module: &[String], want: &str) -> String {
        let used = self.names.entry(module.to_vec()).or_default();
        let mut name = want.to_owned();
        let mut n = 2;
        while used.contains(&name) || is_prelude(&name) {
            name = format!("{want}{n}");
            n += 1;
        }
        used.insert(name.clone());
        name
    }

    /// Reserves a named type for a location before its definition is known (recursion).
    fn reserve(
        &mut self,
        key: (String, String),
        module: Vec<String>,
        name: &str,
        value: &Value,
    ) -> TypeId {
        let name = self.unique_name(&module, name);
        let id = self.types.len();
        self.types.push(TypeDef {
            name,
            closed: value.get("additionalProperties") == Some(&Value::Bool(false)),
            module,
            doc: doc_of(value),
            deprecated: value.get("deprecated") == Some(&Value::Bool(true)),
            def: Def::Pending,
        });
        self.by_loc.insert(key, id);
        id
    }

    fn err(set: &SchemaSet, at: &Location, message: impl Into<String>) -> Error {
        Error::Unsupported {
            file: set.doc_uri(at.doc).trim_start_matches("file://").to_owned(),
            pointer: at.pointer.to_string(),
            message: message.into(),
        }
    }

    /// The named struct for a payload root (or any object schema), with a fixed name.
    pub fn named_root(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        name: &str,
    ) -> Result<TypeId, Error> {
        self.forced.insert(
            (set.doc_uri(at.doc).to_owned(), at.pointer.to_string()),
            name.to_owned(),
        );
        match self.ty(set, at, name)? {
            Ty::Named(id) => Ok(id),
            other => {
                // A payload that is not an object still gets a name: a one-variant wrapper.
                let module = self.module_of(set, at);
                let value = set.get(at).cloned().unwrap_or(Value::Bool(true));
                let key = (
                    set.doc_uri(at.doc).to_owned(),
                    format!("{}#wrapper", at.pointer),
                );
                let id = self.reserve(key, module, name, &value);
                self.types[id].def = Def::Untagged(vec![("Value".to_owned(), other, Map::new())]);
                Ok(id)
            }
        }
    }

    /// The type of the schema at `at`; `hint` names it if it needs a name.
    pub fn ty(&mut self, set: &SchemaSet, at: &Location, hint: &str) -> Result<Ty, Error> {
        let Some(value) = set.get(at).cloned() else {
            return Err(Self::err(set, at, "no schema at this location"));
        };
        let obj = match &value {
            Value::Bool(true) => return Ok(Ty::Value),
            Value::Bool(false) => {
                return Err(Self::err(
                    set,
                    at,
                    "the schema `false` accepts no value, so no type can hold one",
                ));
            }
            Value::Object(m) => m.clone(),
            _ => return Err(Self::err(set, at, "not a schema")),
        };
        let key = (set.doc_uri(at.doc).to_owned(), at.pointer.to_string());
        if let Some(&id) = self.by_loc.get(&key) {
            return Ok(Ty::Named(id));
        }
        // Validation-only keywords (`not`, `propertyNames`, `if` ...) do not
        // change the shape; a node that is nothing but a negation has no type.
        if obj.contains_key("not") && !obj.keys().any(|k| is_shaping(k) || k == "if") {
            return self.fallback(set, at, "a schema that is only `not` has no Rust type");
        }
        // A bare `$ref` (annotations aside) is the referenced type itself: one shared type.
        if let Some(r) = reference_of(&obj) {
            let target = set
                .resolve(at, r)
                .map_err(|e| Self::err(set, at, e.to_string()))?;
            let shaping = obj.keys().any(|k| is_shaping(k) && !is_reference(k));
            if !shaping || set.dialect(at.doc).ref_overrides_siblings() {
                let name = def_name(&target).unwrap_or_else(|| hint.to_owned());
                return self.ty(set, &target, &name);
            }
            return self.merged_struct(
                set,
                at,
                &key,
                hint,
                &value,
                &[Part::Ref(target), Part::Inline(at.clone())],
            );
        }
        let types = type_names(&obj);
        let nullable = types.iter().any(|t| t == "null");
        let non_null: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "null")
            .collect();
        if let Some(vals) = enum_values(&obj) {
            let (nulls, rest): (Vec<&Value>, Vec<&Value>) = vals.iter().partition(|v| v.is_null());
            let inner = self.enum_type(set, at, &key, hint, &value, &rest)?;
            return Ok(if nulls.is_empty() && !nullable {
                inner
            } else {
                Ty::Option(Box::new(inner))
            });
        }
        for union in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = obj.get(union) {
                let inner = self.union(set, at, &key, hint, &value, union, branches.len())?;
                return Ok(if nullable {
                    Ty::Option(Box::new(inner))
                } else {
                    inner
                });
            }
        }
        if let Some(Value::Array(parts)) = obj.get("allOf") {
            let mut list: Vec<Part> = Vec::new();
            for i in 0..parts.len() {
                list.push(Part::Child(set.child(at, &["allOf", &i.to_string()])));
            }
            list.push(Part::Inline(at.clone()));
            let t = self.merged_struct(set, at, &key, hint, &value, &list)?;
            return Ok(if nullable { Ty::Option(Box::new(t)) } else { t });
        }
        let inner = match non_null.as_slice() {
            [] if types.is_empty() => {
                if [
                    "properties",
                    "required",
                    "additionalProperties",
                    "patternProperties",
                    "then",
                    "else",
                    "dependentSchemas",
                ]
                .iter()
                .any(|k| obj.contains_key(*k))
                {
                    self.object(set, at, &key, hint, &value, &obj)?
                } else if obj.contains_key("items") || obj.contains_key("prefixItems") {
                    self.array(set, at, hint, &obj)?
                } else {
                    Ty::Value
                }
            }
            [] => Ty::Unit,
            [one] => self.single(set, at, &key, hint, &value, &obj, one)?,
            many => {
                // Several types: an untagged enum with one variant per type.
                let id = self.reserve(key.clone(), self.module_of(set, at), hint, &value);
                let mut variants = Vec::new();
                for t in many {
                    let ty = self.single(
                        set,
                        at,
                        &(key.0.clone(), format!("{}#{t}", key.1)),
                        &format!("{hint}{}", camel(t)),
                        &value,
                        &obj,
                        t,
                    )?;
                    variants.push((camel(t), ty, Map::new()));
                }
                self.types[id].def = Def::Untagged(variants);
                Ty::Named(id)
            }
        };
        Ok(if nullable && !types.is_empty() && inner != Ty::Unit {
            Ty::Option(Box::new(inner))
        } else {
            inner
        })
    }

    /// A forced name, else the schema's title, else the caller's hint.
    fn name_for(&self, key: &(String, String), value: &Value, hint: &str) -> String {
        self.forced
            .get(key)
            .cloned()
            .or_else(|| title_name(value))
            .unwrap_or_else(|| hint.to_owned())
    }

    fn fallback(&mut self, set: &SchemaSet, at: &Location, why: &str) -> Result<Ty, Error> {
        if self.opts.value_fallback {
            let file = set.doc_uri(at.doc).trim_start_matches("file://");
            self.warnings.push(format!(
                "{file}#{}: {why}; using serde_json::Value",
                at.pointer
            ));
            Ok(Ty::Value)
        } else {
            Err(Self::err(
                set,
                at,
                format!(
                    "{why} (opt into a serde_json::Value fallback with Config::value_fallback)"
                ),
            ))
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site per JSON type; a struct would only rename these.
    fn single(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        key: &(String, String),
        hint: &str,
        value: &Value,
        obj: &Map<String, Value>,
        t: &str,
    ) -> Result<Ty, Error> {
        Ok(match t {
            "object" => self.object(set, at, key, hint, value, obj)?,
            "array" => self.array(set, at, hint, obj)?,
            "string" => match obj.get("format").and_then(Value::as_str) {
                Some("date-time") if self.opts.datetime != DateTimeCrate::None => Ty::DateTime,
                Some("date") if self.opts.datetime == DateTimeCrate::Chrono => Ty::Date,
                Some("uuid") if self.opts.uuid => Ty::Uuid,
                Some("uri") if self.opts.url => Ty::Url,
                _ => Ty::String,
            },
            "integer" => Ty::Int(int_width(obj)),
            "number" => Ty::F64,
            "boolean" => Ty::Bool,
            "null" => Ty::Unit,
            other => return Err(Self::err(set, at, format!("unknown type {other:?}"))),
        })
    }

    fn array(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        hint: &str,
        obj: &Map<String, Value>,
    ) -> Result<Ty, Error> {
        let tuple = set.dialect(at.doc).tuple_items();
        let prefix_key = if tuple { "items" } else { "prefixItems" };
        if let Some(Value::Array(prefix)) = obj.get(prefix_key) {
            let rest_key = if tuple { "additionalItems" } else { "items" };
            let closed = obj.get(rest_key) == Some(&Value::Bool(false));
            if !closed {
                return self.fallback(
                    set,
                    at,
                    "a tuple that allows further items has no Rust type",
                );
            }
            let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            if min < prefix.len() as u64 {
                return self.fallback(
                    set,
                    at,
                    "a tuple whose last items may be missing (minItems below its length) has no Rust type",
                );
            }
            let mut tys = Vec::new();
            for i in 0..prefix.len() {
                let c = set.child(at, &[prefix_key, &i.to_string()]);
                tys.push(self.ty(set, &c, &format!("{hint}{i}"))?);
            }
            return Ok(Ty::Tuple(tys));
        }
        match obj.get("items") {
            // Arrays that must be empty: any element type will do.
            Some(Value::Bool(false)) => Ok(Ty::Vec(Box::new(Ty::Value))),
            Some(_) => {
                let c = set.child(at, &["items"]);
                let item_hint = format!("{hint}Item");
                let t = self.inline_guard(set, &c, |b| b.ty(set, &c, &item_hint))?;
                Ok(Ty::Vec(Box::new(t)))
            }
            None => Ok(Ty::Vec(Box::new(Ty::Value))),
        }
    }

    /// Runs `f`, refusing a cycle that never passes through a named type.
    fn inline_guard(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        f: impl FnOnce(&mut Self) -> Result<Ty, Error>,
    ) -> Result<Ty, Error> {
        let key = (set.doc_uri(at.doc).to_owned(), at.pointer.to_string());
        if !self.inlining.insert(key.clone()) {
            return Err(Self::err(
                set,
                at,
                "a recursive schema that never passes through an object has no Rust type",
            ));
        }
        let r = f(self);
        self.inlining.remove(&key);
        r
    }

    fn object(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        key: &(String, String),
        hint: &str,
        value: &Value,
        obj: &Map<String, Value>,
    ) -> Result<Ty, Error> {
        let has_props = matches!(obj.get("properties"), Some(Value::Object(p)) if !p.is_empty());
        let has_branch_props = ["then", "else", "dependentSchemas", "dependencies"]
            .iter()
            .any(|k| obj.contains_key(*k));
        if !has_props && !has_branch_props && obj.contains_key("patternProperties") {
            let t = self.pattern_value_type(set, at, obj, &format!("{hint}Value"))?;
            return Ok(Ty::Map(Box::new(t)));
        }
        if !has_props && !has_branch_props {
            return match obj.get("additionalProperties") {
                Some(Value::Bool(false)) => Ok(Ty::Map(Box::new(Ty::Value))),
                Some(Value::Object(_)) => {
                    let c = set.child(at, &["additionalProperties"]);
                    let t = self.ty(set, &c, &format!("{hint}Value"))?;
                    Ok(Ty::Map(Box::new(t)))
                }
                _ => Ok(Ty::Map(Box::new(Ty::Value))),
            };
        }
        self.merged_struct(set, at, key, hint, value, &[Part::Inline(at.clone())])
    }

    /// A struct from object parts (`allOf` members, `$ref` plus siblings, or one object).
    fn merged_struct(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        key: &(String, String),
        hint: &str,
        value: &Value,
        parts: &[Part],
    ) -> Result<Ty, Error> {
        let module = self.module_of(set, at);
        let name = self.name_for(key, value, hint);
        // Identical definitions copied between files share one type.
        let shape = (!contains_ref(value) && is_defs_pointer(&at.pointer))
            .then(|| (module.clone(), name.clone(), value.to_string()));
        if let Some(s) = &shape
            && let Some(&id) = self.by_shape.get(s)
        {
            self.by_loc.insert(key.clone(), id);
            return Ok(Ty::Named(id));
        }
        let id = self.reserve(key.clone(), module, &name, value);
        if let Some(s) = shape {
            self.by_shape.insert(s, id);
        }
        self.building.push(id);
        let result = self.collect_fields(set, parts, &self.types[id].name.clone(), None);
        self.building.pop();
        let mut fields = result?;
        dedupe_idents(&mut fields);
        self.types[id].def = Def::Struct { fields };
        Ok(Ty::Named(id))
    }

    /// Fields of the merged parts; `skip` names a property left out (a union's tag).
    fn collect_fields(
        &mut self,
        set: &SchemaSet,
        parts: &[Part],
        owner: &str,
        skip: Option<&str>,
    ) -> Result<Vec<Field>, Error> {
        let mut fields: Vec<Field> = Vec::new();
        let mut required: HashSet<String> = HashSet::new();
        // Depth-first, in declaration order: a part's `$ref` and `allOf` members
        // contribute their fields before the part's own properties.
        // (location, expanded, optional): properties of optional parts (`then`,
        // `else`, dependent schemas) may or may not be present.
        let mut stack: Vec<(Location, bool, bool)> = Vec::new();
        for p in parts.iter().rev() {
            match p {
                Part::Inline(l) | Part::Ref(l) | Part::Child(l) => {
                    stack.push((l.clone(), false, false))
                }
            }
        }
        let mut seen = HashSet::new();
        while let Some((loc, expanded, optional)) = stack.pop() {
            let Some(Value::Object(obj)) = set.get(&loc).cloned() else {
                if set.get(&loc) == Some(&Value::Bool(true)) {
                    continue;
                }
                return Err(Self::err(
                    set,
                    &loc,
                    "an allOf member that is not an object schema cannot be merged into a struct",
                ));
            };
            if !expanded {
                if !seen.insert((loc.doc, loc.pointer.to_string())) {
                    continue;
                }
                for (kw, keys) in [
                    ("dependentSchemas", true),
                    ("dependencies", true),
                    ("else", false),
                    ("then", false),
                ] {
                    match obj.get(kw) {
                        Some(Value::Object(m)) if keys => {
                            for (k, v) in m.iter().rev() {
                                if v.is_object() {
                                    stack.push((set.child(&loc, &[kw, k]), false, true));
                                }
                            }
                        }
                        Some(Value::Object(_)) if !keys => {
                            stack.push((set.child(&loc, &[kw]), false, true))
                        }
                        _ => {}
                    }
                }
                stack.push((loc.clone(), true, optional));
                if let Some(Value::Array(xs)) = obj.get("allOf") {
                    for i in (0..xs.len()).rev() {
                        stack.push((set.child(&loc, &["allOf", &i.to_string()]), false, optional));
                    }
                }
                if let Some(r) = reference_of(&obj) {
                    let target = set
                        .resolve(&loc, r)
                        .map_err(|e| Self::err(set, &loc, e.to_string()))?;
                    stack.push((target, false, optional));
                }
                continue;
            }
            for k in ["oneOf", "anyOf"] {
                if obj.contains_key(k) && loc.pointer.as_ref() != "" && !fields.is_empty() {
                    return Err(Self::err(
                        set,
                        &loc,
                        format!("`{k}` inside a merged object has no Rust type"),
                    ));
                }
            }
            if let Some(Value::Array(rs)) = obj.get("required").filter(|_| !optional) {
                required.extend(rs.iter().filter_map(|r| r.as_str().map(str::to_owned)));
            }
            if let Some(Value::Object(props)) = obj.get("properties") {
                for (name, pv) in props {
                    // A property whose schema is `false` can never be present.
                    if fields.iter().any(|f| &f.json == name)
                        || skip == Some(name.as_str())
                        || *pv == Value::Bool(false)
                    {
                        continue;
                    }
                    let c = set.child(&loc, &["properties", name]);
                    let mut ty = self.ty(set, &c, &format!("{owner}{}", camel(name)))?;
                    // A struct that contains itself (not through Vec or Map) needs a Box.
                    ty = self.box_if_recursive(ty);
                    fields.push(Field {
                        json: name.clone(),
                        ident: snake(name),
                        ty,
                        required: false,
                        default: pv.get("default").filter(|d| is_scalar_default(d)).cloned(),
                        doc: doc_of(pv),
                        deprecated: pv.get("deprecated") == Some(&Value::Bool(true)),
                        flatten: false,
                        extra: validation_keywords(set, &c),
                    });
                }
            }
            if let Some(extra_kw) = extra_properties_keyword(&obj)
                && !fields.iter().any(|f| f.flatten)
            {
                let t = if extra_kw == "patternProperties" {
                    self.pattern_value_type(set, &loc, &obj, &format!("{owner}Extra"))?
                } else {
                    let c = set.child(&loc, &[extra_kw]);
                    self.ty(set, &c, &format!("{owner}Extra"))?
                };
                fields.push(Field {
                    json: "additional_properties".to_owned(),
                    ident: "additional_properties".to_owned(),
                    ty: Ty::Map(Box::new(t)),
                    required: true,
                    default: None,
                    doc: Some("Properties not declared by the schema.".to_owned()),
                    deprecated: false,
                    flatten: true,
                    extra: Map::new(),
                });
            }
        }
        // Properties declared by one part and required by another keep the declaration order.
        for f in &mut fields {
            if !f.flatten {
                f.required = required.contains(&f.json);
            }
        }
        Ok(fields)
    }

    fn box_if_recursive(&self, ty: Ty) -> Ty {
        match ty {
            Ty::Named(id) if self.building.contains(&id) => Ty::Boxed(Box::new(Ty::Named(id))),
            Ty::Option(inner) => match *inner {
                Ty::Named(id) if self.building.contains(&id) => {
                    Ty::Option(Box::new(Ty::Boxed(Box::new(Ty::Named(id)))))
                }
                other => Ty::Option(Box::new(other)),
            },
            other => other,
        }
    }

    fn enum_type(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        key: &(String, String),
        hint: &str,
        value: &Value,
        vals: &[&Value],
    ) -> Result<Ty, Error> {
        let module = self.module_of(set, at);
        let name = self.name_for(key, value, hint);
        if !vals.is_empty() && vals.iter().all(|v| v.is_string()) {
            let shape = (module.clone(), name.clone(), value.to_string());
            if let Some(&id) = self.by_shape.get(&shape) {
                return Ok(Ty::Named(id));
            }
            let id = self.reserve(key.clone(), module, &name, value);
            self.by_shape.insert(shape, id);
            let mut variants: Vec<(String, String)> = Vec::new();
            for v in vals {
                let s = v.as_str().unwrap_or_default().to_owned();
                let mut ident = camel(&s);
                while variants.iter().any(|(_, i)| *i == ident) {
                    ident.push('_');
                }
                variants.push((s, ident));
            }
            self.types[id].def = Def::StrEnum(variants);
            return Ok(Ty::Named(id));
        }
        if !vals.is_empty() && vals.iter().all(|v| v.as_i64().is_some()) {
            let id = self.reserve(key.clone(), module, &name, value);
            let variants = vals
                .iter()
                .filter_map(|v| v.as_i64())
                .map(|n| {
                    (
                        n,
                        if n < 0 {
                            format!("Minus{}", n.unsigned_abs())
                        } else {
                            format!("N{n}")
                        },
                    )
                })
                .collect();
            self.types[id].def = Def::IntEnum(variants);
            return Ok(Ty::Named(id));
        }
        if vals.len() == 1 && vals[0].is_boolean() {
            return Ok(Ty::Bool);
        }
        if !vals.is_empty()
            && vals
                .iter()
                .all(|v| v.is_string() || v.is_number() || v.is_boolean())
        {
            let id = self.reserve(key.clone(), module, &name, value);
            let mut variants = value_variants(vals);
            exact_digits(set, at, &mut variants);
            self.types[id].def = Def::ValueEnum(variants);
            return Ok(Ty::Named(id));
        }
        self.fallback(
            set,
            at,
            "an enum listing objects or arrays has no Rust type",
        )
    }

    #[allow(clippy::too_many_arguments)] // Mirrors `ty`'s context; splitting it would hide the shared key.
    fn union(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        key: &(String, String),
        hint: &str,
        value: &Value,
        kw: &str,
        n: usize,
    ) -> Result<Ty, Error> {
        let branches: Vec<Location> = (0..n)
            .map(|i| set.child(at, &[kw, &i.to_string()]))
            .collect();
        // `[X, {"type": "null"}]` is Option<X>.
        let is_null = |l: &Location| {
            set.get(l)
                .and_then(|v| v.get("type"))
                .and_then(Value::as_str)
                == Some("null")
        };
        if n == 2 && branches.iter().any(is_null) {
            let other = branches
                .iter()
                .find(|l| !is_null(l))
                .cloned()
                .unwrap_or_else(|| branches[0].clone());
            let t = self.ty(set, &other, hint)?;
            return Ok(Ty::Option(Box::new(t)));
        }
        let module = self.module_of(set, at);
        let name = self.name_for(key, value, hint);
        let id = self.reserve(key.clone(), module, &name, value);
        let owner = self.types[id].name.clone();
        if let Some(tag) = discriminator(set, &branches) {
            let mut variants = Vec::new();
            for b in &branches {
                let target = deref(set, b);
                let tag_value = tag_const(set, &target, &tag).unwrap_or_default();
                let vname = def_name(&target)
                    .or_else(|| set.get(&target).and_then(title_name))
                    .unwrap_or_else(|| format!("{owner}{}", camel(&tag_value)));
                let variant_ident = camel(&tag_value);
                self.building.push(id);
                let sid = self.tagged_variant_struct(set, &target, &vname, &tag);
                self.building.pop();
                variants.push((tag_value, variant_ident, sid?));
            }
            self.types[id].def = Def::Tagged { tag, variants };
            return Ok(Ty::Named(id));
        }
        let mut variants: Vec<(String, Ty, Map<String, Value>)> = Vec::new();
        for (i, b) in branches.iter().enumerate() {
            let target = deref(set, b);
            let vname = def_name(&target)
                .or_else(|| set.get(&target).and_then(title_name))
                .or_else(|| {
                    set.get(b)
                        .and_then(|v| v.get("type"))
                        .and_then(Value::as_str)
                        .map(camel)
                })
                .unwrap_or_else(|| format!("Variant{i}"));
            let mut ident = vname.clone();
            while variants.iter().any(|(v, _, _)| *v == ident) {
                ident.push_str(&i.to_string());
            }
            self.building.push(id);
            let t = self.ty(set, b, &format!("{owner}{vname}"));
            self.building.pop();
            let t = self.box_if_recursive(t?);
            variants.push((ident, t, validation_keywords(set, b)));
        }
        self.types[id].def = Def::Untagged(variants);
        Ok(Ty::Named(id))
    }

    /// A variant struct of a tagged union: the object without its tag property.
    fn tagged_variant_struct(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        name: &str,
        tag: &str,
    ) -> Result<TypeId, Error> {
        let key = (
            set.doc_uri(at.doc).to_owned(),
            format!("{}#variant", at.pointer),
        );
        if let Some(&id) = self.by_loc.get(&key) {
            return Ok(id);
        }
        let value = set.get(at).cloned().unwrap_or(Value::Bool(true));
        let module = self.module_of(set, at);
        let id = self.reserve(key, module, name, &value);
        self.building.push(id);
        let owner = self.types[id].name.clone();
        let fields = self.collect_fields(set, &[Part::Inline(at.clone())], &owner, Some(tag));
        self.building.pop();
        let mut fields = fields?;
        dedupe_idents(&mut fields);
        self.types[id].def = Def::Struct { fields };
        Ok(id)
    }
}

impl Builder<'_> {
    /// The value type of `patternProperties` (and `additionalProperties`):
    /// one schema's type when there is one, else any JSON value.
    fn pattern_value_type(
        &mut self,
        set: &SchemaSet,
        at: &Location,
        obj: &Map<String, Value>,
        hint: &str,
    ) -> Result<Ty, Error> {
        let pats: Vec<&String> = match obj.get("patternProperties") {
            Some(Value::Object(m)) => m.keys().collect(),
            _ => Vec::new(),
        };
        let open = !matches!(
            obj.get("additionalProperties"),
            Some(Value::Bool(false)) | None
        );
        if pats.len() == 1 && !open {
            let c = set.child(at, &["patternProperties", pats[0]]);
            return self.ty(set, &c, hint);
        }
        Ok(Ty::Value)
    }
}

/// The keyword holding the schema of undeclared properties, if any.
fn extra_properties_keyword(obj: &Map<String, Value>) -> Option<&'static str> {
    if obj.contains_key("patternProperties") {
        return Some("patternProperties");
    }
    for k in ["additionalProperties", "unevaluatedProperties"] {
        if let Some(Value::Object(_)) = obj.get(k) {
            return Some(k);
        }
    }
    None
}

/// `$ref`, or the dynamic references resolved statically (a type is the same whichever scope applies).
fn reference_of(obj: &Map<String, Value>) -> Option<&str> {
    ["$ref", "$recursiveRef", "$dynamicRef"]
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
}

fn is_reference(k: &str) -> bool {
    matches!(k, "$ref" | "$recursiveRef" | "$dynamicRef")
}

/// A piece of an object to merge into one struct.
#[derive(Debug, Clone)]
enum Part {
    Inline(Location),
    Ref(Location),
    Child(Location),
}

fn is_prelude(name: &str) -> bool {
    matches!(
        name,
        "Option"
            | "Result"
            | "Vec"
            | "String"
            | "Box"
            | "Some"
            | "None"
            | "Ok"
            | "Err"
            | "Self"
            | "Value"
            | "Map"
    )
}

fn is_shaping(k: &str) -> bool {
    matches!(
        k,
        "$ref"
            | "type"
            | "properties"
            | "required"
            | "additionalProperties"
            | "items"
            | "prefixItems"
            | "enum"
            | "const"
            | "oneOf"
            | "anyOf"
            | "allOf"
    )
}

fn contains_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k == "$ref" || contains_ref(x)),
        Value::Array(a) => a.iter().any(contains_ref),
        _ => false,
    }
}

fn is_defs_pointer(p: &str) -> bool {
    p.starts_with("/$defs/") || p.starts_with("/definitions/")
}

/// The type name a `$defs`/`definitions` entry suggests.
fn def_name(at: &Location) -> Option<String> {
    let p = at.pointer.as_ref();
    let rest = p
        .strip_prefix("/$defs/")
        .or_else(|| p.strip_prefix("/definitions/"))?;
    (!rest.contains('/')).then(|| camel(rest))
}

fn title_name(v: &Value) -> Option<String> {
    v.get("title").and_then(Value::as_str).map(camel)
}

fn doc_of(v: &Value) -> Option<String> {
    v.get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Gives each variant written as an integer past 64 bits the digits its
/// schema's text spells (`const`, or `enum` members in order), named by them.
fn exact_digits(set: &SchemaSet, at: &Location, variants: &mut [ValueVariant]) {
    let (in_enum, in_const) = (
        format!("{}/enum/", at.pointer),
        format!("{}/const", at.pointer),
    );
    let mut literals: Vec<&str> = set
        .literals(at.doc)
        .iter()
        .filter(|(p, _)| p.starts_with(&in_enum) || **p == *in_const)
        .map(|(_, d)| &**d)
        .collect();
    for v in variants {
        let Some(i) = literals
            .iter()
            .position(|d| evreg_core::schema::literal_matches(&v.reads[0], d))
        else {
            continue;
        };
        let digits = literals.remove(i).to_owned();
        v.ident = match digits.strip_prefix('-') {
            Some(rest) => format!("Minus{rest}"),
            None => format!("N{digits}"),
        };
        v.digits = Some(digits);
    }
}

/// Variants for listed scalars of mixed types. Values alternating name and
/// integer (`["UNSPECIFIED", 0, "ACTIVE", 1]`, protobuf's JSON enums), with
/// names and numbers each distinct, pair up: one variant per name, reading
/// the name or its number. Any other mix gets a variant per value.
fn value_variants(vals: &[&Value]) -> Vec<ValueVariant> {
    let paired = vals.len().is_multiple_of(2)
        && vals
            .chunks(2)
            .all(|p| p[0].is_string() && p[1].as_i64().is_some())
        && {
            let mut names: Vec<&Value> = vals.iter().step_by(2).copied().collect();
            let mut nums: Vec<i64> = vals
                .iter()
                .skip(1)
                .step_by(2)
                .filter_map(|v| v.as_i64())
                .collect();
            names.sort_by_key(|v| v.to_string());
            names.dedup();
            nums.sort_unstable();
            nums.dedup();
            names.len() * 2 == vals.len() && nums.len() * 2 == vals.len()
        };
    let groups: Vec<Vec<Value>> = if paired {
        vals.chunks(2)
            .map(|p| vec![p[0].clone(), p[1].clone()])
            .collect()
    } else {
        let mut distinct: Vec<Vec<Value>> = Vec::new();
        for v in vals {
            if !distinct.iter().any(|g| g[0] == **v) {
                distinct.push(vec![(*v).clone()]);
            }
        }
        distinct
    };
    let mut out: Vec<ValueVariant> = Vec::new();
    for reads in groups {
        let mut ident = match &reads[0] {
            Value::String(s) => camel(s),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::Number(n) => {
                let text = n.to_string();
                match text.strip_prefix('-') {
                    Some(rest) => format!("Minus{}", rest.replace(['.', '+'], "_")),
                    None => format!("N{}", text.replace(['.', '+'], "_")),
                }
            }
            _ => "Value".to_owned(),
        };
        if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
            ident.insert(0, 'V');
        }
        while out.iter().any(|v| v.ident == ident) {
            ident.push('_');
        }
        out.push(ValueVariant {
            ident,
            reads,
            digits: None,
        });
    }
    out
}

fn enum_values(obj: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(c) = obj.get("const") {
        return Some(vec![c.clone()]);
    }
    match obj.get("enum") {
        Some(Value::Array(vs)) => Some(vs.clone()),
        _ => None,
    }
}

fn is_scalar_default(d: &Value) -> bool {
    matches!(d, Value::String(_) | Value::Bool(_)) || d.as_i64().is_some() || d.as_f64().is_some()
}

/// Integer width from bounds: unsigned when the minimum is 0 or more.
fn int_width(obj: &Map<String, Value>) -> &'static str {
    let lo = obj.get("minimum").and_then(Value::as_f64).or_else(|| {
        obj.get("exclusiveMinimum")
            .and_then(Value::as_f64)
            .map(|x| x + 1.0)
    });
    let hi = obj.get("maximum").and_then(Value::as_f64).or_else(|| {
        obj.get("exclusiveMaximum")
            .and_then(Value::as_f64)
            .map(|x| x - 1.0)
    });
    match (lo, hi) {
        (Some(l), Some(h)) if l >= 0.0 => match h {
            h if h <= f64::from(u8::MAX) => "u8",
            h if h <= f64::from(u16::MAX) => "u16",
            h if h <= f64::from(u32::MAX) => "u32",
            _ => "u64",
        },
        (Some(l), None) if l >= 0.0 => "u64",
        (Some(l), Some(h)) => match (l, h) {
            (l, h) if l >= f64::from(i8::MIN) && h <= f64::from(i8::MAX) => "i8",
            (l, h) if l >= f64::from(i16::MIN) && h <= f64::from(i16::MAX) => "i16",
            (l, h) if l >= f64::from(i32::MIN) && h <= f64::from(i32::MAX) => "i32",
            _ => "i64",
        },
        _ => "i64",
    }
}

/// Follows bare `$ref`s to the schema that defines a branch.
fn deref(set: &SchemaSet, at: &Location) -> Location {
    let mut cur = at.clone();
    for _ in 0..32 {
        match set
            .get(&cur)
            .and_then(|v| v.get("$ref"))
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            Some(r) => match set.resolve(&cur, &r) {
                Ok(t) => cur = t,
                Err(_) => break,
            },
            None => break,
        }
    }
    cur
}

/// The `const` string a branch gives property `tag`.
fn tag_const(set: &SchemaSet, at: &Location, tag: &str) -> Option<String> {
    let v = set.get(at)?;
    let p = v.get("properties")?.get(tag)?;
    let p = match p.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let l = set.resolve(&set.child(at, &["properties", tag]), r).ok()?;
            lookup(set.document(l.doc), &l.pointer)?.clone()
        }
        None => p.clone(),
    };
    p.get("const")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| match p.get("enum") {
            Some(Value::Array(vs)) if vs.len() == 1 => vs[0].as_str().map(str::to_owned),
            _ => None,
        })
}

/// A property every branch requires and fixes to a distinct string: the union's tag.
fn discriminator(set: &SchemaSet, branches: &[Location]) -> Option<String> {
    let targets: Vec<Location> = branches.iter().map(|b| deref(set, b)).collect();
    let first = set.get(targets.first()?)?;
    let candidates: Vec<String> = first
        .get("properties")?
        .as_object()?
        .keys()
        .cloned()
        .collect();
    'next: for c in candidates {
        let mut seen = HashSet::new();
        for t in &targets {
            let v = set.get(t)?;
            let required = v
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(&c)));
            match tag_const(set, t, &c) {
                Some(val) if required && seen.insert(val.clone()) => {}
                _ => continue 'next,
            }
        }
        return Some(c);
    }
    None
}

/// Keywords that only validate: a Rust type cannot hold them, schemars can repeat them.
const VALIDATION: &[&str] = &[
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
];

/// The validation keywords of a property node (not of what its `$ref` names),
/// and for arrays of plain values, those of the items.
fn validation_keywords(set: &SchemaSet, at: &Location) -> Map<String, Value> {
    let mut out = Map::new();
    // A bare `$ref` to a value that gets no type of its own (a tuple, a
    // constrained string) carries the target's keywords.
    let target = deref(set, at);
    let at = match set.get(&target) {
        Some(Value::Object(t))
            if !["properties", "enum", "const", "oneOf", "anyOf", "allOf"]
                .iter()
                .any(|k| t.contains_key(*k)) =>
        {
            &target
        }
        _ => at,
    };
    let Some(Value::Object(obj)) = set.get(at) else {
        return out;
    };
    for k in VALIDATION {
        if let Some(v) = obj.get(*k) {
            out.insert((*k).to_owned(), v.clone());
        }
    }
    if let Some(Value::Array(prefix)) = obj.get("prefixItems") {
        let items: Vec<Map<String, Value>> = prefix
            .iter()
            .filter_map(|p| p.as_object())
            .map(plain_item)
            .collect();
        if items.len() == prefix.len()
            && items
                .iter()
                .any(|i| i.keys().any(|k| VALIDATION.contains(&k.as_str())))
        {
            out.insert(
                "prefixItems".to_owned(),
                Value::Array(items.into_iter().map(Value::Object).collect()),
            );
        }
    }
    if let Some(Value::Object(items)) = obj.get("items") {
        let plain = items
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| matches!(t, "string" | "integer" | "number" | "boolean"));
        if plain && !items.contains_key("$ref") && VALIDATION.iter().any(|k| items.contains_key(*k))
        {
            out.insert("items".to_owned(), Value::Object(plain_item(items)));
        }
    }
    out
}

/// An item schema reduced to its type, format and validation keywords.
fn plain_item(items: &Map<String, Value>) -> Map<String, Value> {
    let mut item = Map::new();
    for (k, v) in items {
        if *k == "type" || *k == "format" || VALIDATION.contains(&k.as_str()) {
            item.insert(k.clone(), v.clone());
        }
    }
    item
}

/// Makes field identifiers unique within a struct.
fn dedupe_idents(fields: &mut [Field]) {
    let mut used: HashSet<String> = HashSet::new();
    for f in fields.iter_mut() {
        let base = f.ident.clone();
        let mut n = 2;
        while !used.insert(f.ident.clone()) {
            f.ident = format!("{base}_{n}");
            n += 1;
        }
    }
}

/// The types `ty` holds by value (directly, in an `Option` or a tuple):
/// those whose size it includes.
fn by_value(ty: &Ty, out: &mut Vec<TypeId>) {
    match ty {
        Ty::Named(id) => out.push(*id),
        Ty::Option(t) => by_value(t, out),
        Ty::Tuple(ts) => ts.iter().for_each(|t| by_value(t, out)),
        _ => {}
    }
}

/// `ty` with every by-value use of `target` boxed.
fn boxed(ty: Ty, target: TypeId) -> Ty {
    match ty {
        Ty::Named(id) if id == target => Ty::Boxed(Box::new(Ty::Named(id))),
        Ty::Option(t) => Ty::Option(Box::new(boxed(*t, target))),
        Ty::Tuple(ts) => Ty::Tuple(ts.into_iter().map(|t| boxed(t, target)).collect()),
        other => other,
    }
}

/// Boxes each by-value use that closes a cycle of types containing one
/// another (a struct holding an enum holding the struct): Rust cannot size
/// such types. Building boxes a type that holds itself while it is being
/// built; a cycle through a type built earlier (a shared definition reached
/// from two places) is only visible on the whole set, hence this pass. The
/// boxed edges are the back edges of a depth-first search, so what remains
/// is acyclic.
pub(crate) fn box_cycles(types: &mut [TypeDef]) {
    let slots = |def: &Def| -> Vec<(usize, TypeId)> {
        let mut out = Vec::new();
        let mut push = |slot: usize, ty: &Ty| {
            let mut ids = Vec::new();
            by_value(ty, &mut ids);
            out.extend(ids.into_iter().map(|id| (slot, id)));
        };
        match def {
            Def::Struct { fields } => fields.iter().enumerate().for_each(|(i, f)| push(i, &f.ty)),
            Def::Untagged(vs) => vs.iter().enumerate().for_each(|(i, v)| push(i, &v.1)),
            _ => {}
        }
        out
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; types.len()];
    let mut to_box: Vec<(TypeId, usize, TypeId)> = Vec::new();
    for start in 0..types.len() {
        if mark[start] != Mark::New {
            continue;
        }
        /// A type on the search path: its (slot, target) edges and the next to follow.
        type Frame = (TypeId, Vec<(usize, TypeId)>, usize);
        let mut stack: Vec<Frame> = vec![(start, slots(&types[start].def), 0)];
        mark[start] = Mark::Open;
        while let Some((u, edges, next)) = stack.last_mut() {
            let Some(&(slot, v)) = edges.get(*next) else {
                mark[*u] = Mark::Done;
                stack.pop();
                continue;
            };
            *next += 1;
            let u = *u;
            match mark.get(v).copied() {
                Some(Mark::Open) => to_box.push((u, slot, v)),
                Some(Mark::New) => {
                    mark[v] = Mark::Open;
                    stack.push((v, slots(&types[v].def), 0));
                }
                _ => {}
            }
        }
    }
    for (u, slot, v) in to_box {
        match &mut types[u].def {
            Def::Struct { fields } => {
                let f = &mut fields[slot];
                f.ty = boxed(std::mem::replace(&mut f.ty, Ty::Unit), v);
            }
            Def::Untagged(vs) => {
                let t = &mut vs[slot].1;
                *t = boxed(std::mem::replace(t, Ty::Unit), v);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, def: Def) -> TypeDef {
        TypeDef {
            name: name.into(),
            closed: false,
            module: Vec::new(),
            doc: None,
            deprecated: false,
            def,
        }
    }

    fn field(name: &str, ty: Ty) -> Field {
        Field {
            json: name.into(),
            ident: name.into(),
            ty,
            required: false,
            default: None,
            doc: None,
            deprecated: false,
            flatten: false,
            extra: Map::new(),
        }
    }

    /// A metaschema's shape: `Schema { items: Option<SchemaOrBool> }`,
    /// `SchemaOrBool = Schema | bool`, both built before either knew of the
    /// cycle. One edge of the cycle gets a Box, the rest stay by value.
    #[test]
    fn a_cycle_through_an_enum_and_a_struct_gets_one_box() {
        let mut types = vec![
            def(
                "Root",
                Def::Struct {
                    fields: vec![
                        field("a", Ty::Named(2)),
                        field("list", Ty::Vec(Box::new(Ty::Named(1)))),
                    ],
                },
            ),
            def(
                "Schema",
                Def::Struct {
                    fields: vec![
                        field("items", Ty::Option(Box::new(Ty::Named(2)))),
                        field("pair", Ty::Tuple(vec![Ty::Bool, Ty::Named(2)])),
                    ],
                },
            ),
            def(
                "SchemaOrBool",
                Def::Untagged(vec![
                    ("Schema".into(), Ty::Named(1), Map::new()),
                    ("Bool".into(), Ty::Bool, Map::new()),
                ]),
            ),
        ];
        box_cycles(&mut types);
        // The search enters the cycle at the enum (from the root), so the
        // struct's two uses of the enum close it.
        let Def::Untagged(vs) = &types[2].def else {
            panic!("untagged")
        };
        assert_eq!(vs[0].1, Ty::Named(1), "left by value");
        let Def::Struct { fields } = &types[1].def else {
            panic!("struct")
        };
        let boxed_e = Ty::Boxed(Box::new(Ty::Named(2)));
        assert_eq!(fields[0].ty, Ty::Option(Box::new(boxed_e.clone())));
        assert_eq!(fields[1].ty, Ty::Tuple(vec![Ty::Bool, boxed_e]));
        let Def::Struct { fields } = &types[0].def else {
            panic!("struct")
        };
        assert_eq!(fields[0].ty, Ty::Named(2), "no cycle through the root");
        // Nothing is left to box.
        let before = format!(
            "{:?}",
            types
                .iter()
                .map(|t| format!("{:?}", t.def))
                .collect::<Vec<_>>()
        );
        box_cycles(&mut types);
        let after = format!(
            "{:?}",
            types
                .iter()
                .map(|t| format!("{:?}", t.def))
                .collect::<Vec<_>>()
        );
        assert_eq!(before, after);
    }
}
