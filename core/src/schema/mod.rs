//! The schema model: a set of JSON Schema documents, their dialect, `$id`/`$ref` resolution and the LENIENT views.
//!
//! Pure: documents arrive as parsed values with the URI they were loaded
//! from; nothing here reads files. Resolution never loops: every lookup is a
//! bounded walk, and `$ref` cycles that pass through no instance keyword are
//! reported as errors, not followed.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

mod literals;
mod uri;
mod validate;

pub(crate) use literals::write_json;
pub use literals::{Literals, big_integers, literal_matches};
use uri::{base_id, unescape_pointer};
pub use uri::{
    encode_path, escape_pointer, is_known_document, known_document, normalize_uri, percent_decode,
    percent_encode, resolve_reference, resolve_uri, try_resolve_uri,
};
pub use validate::{ValidationIssue, Validator, check_well_formed, validator_resources};

/// How deep a schema may nest. serde_json refuses deeper input anyway (128);
/// values built in memory get the same limit so no walk can overflow the stack.
pub const MAX_DEPTH: usize = 128;

/// The JSON Schema dialect of a document, from its `$schema` (default 2020-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Draft4,
    Draft6,
    Draft7,
    Draft201909,
    Draft202012,
}

impl Dialect {
    /// The dialect a `$schema` URI names; `None` for an unknown URI.
    pub fn from_uri(uri: &str) -> Option<Dialect> {
        let u = uri.trim_end_matches('#').trim_end_matches('/');
        let u = u
            .strip_prefix("https://")
            .or_else(|| u.strip_prefix("http://"))
            .unwrap_or(u);
        Some(match u {
            "json-schema.org/draft-04/schema" => Dialect::Draft4,
            "json-schema.org/draft-06/schema" => Dialect::Draft6,
            "json-schema.org/draft-07/schema" => Dialect::Draft7,
            "json-schema.org/draft/2019-09/schema" => Dialect::Draft201909,
            "json-schema.org/draft/2020-12/schema" => Dialect::Draft202012,
            _ => return None,
        })
    }

    /// Whether `items` may be an array (tuple form) and `additionalItems` applies.
    pub fn tuple_items(self) -> bool {
        !matches!(self, Dialect::Draft202012)
    }

    /// Whether keywords beside `$ref` are ignored (draft-07 and earlier).
    pub fn ref_overrides_siblings(self) -> bool {
        matches!(self, Dialect::Draft4 | Dialect::Draft6 | Dialect::Draft7)
    }
}

/// What is wrong with a schema document, always with the document and a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("{doc}#{pointer}: not a valid JSON Schema: {message}")]
    NotASchema {
        doc: String,
        pointer: String,
        message: String,
    },
    #[error("{doc}#{pointer}: cannot resolve $ref {reference:?}: {message}")]
    UnresolvableRef {
        doc: String,
        pointer: String,
        reference: String,
        message: String,
    },
    #[error(
        "{doc}#{pointer}: $ref cycle through {reference:?} never reaches a keyword that constrains an instance"
    )]
    CyclicRef {
        doc: String,
        pointer: String,
        reference: String,
    },
    #[error("{doc}#{pointer}: schema nests deeper than {MAX_DEPTH} levels")]
    TooDeep { doc: String, pointer: String },
    #[error("{doc}#{pointer}: invalid regular expression {pattern:?}: {message}")]
    InvalidRegex {
        doc: String,
        pointer: String,
        pattern: String,
        message: String,
    },
    #[error("{doc}: unknown $schema {uri:?}; evreg reads draft-04, -06, -07, 2019-09 and 2020-12")]
    UnknownDialect { doc: String, uri: String },
}

/// Identifies one document of a [`SchemaSet`].
pub type DocId = usize;

/// One schema position: a document and a JSON pointer into it, with the base
/// URI in force there and the dialect of its document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub doc: DocId,
    pub pointer: Arc<str>,
    pub base: Arc<str>,
}

#[derive(Debug, Clone)]
struct Document {
    uri: String,
    /// Shared: sets and their LENIENT views are cloned often, documents rarely change.
    value: Arc<Value>,
    dialect: Dialect,
    /// Its integers past 64 bits as written (see [`literals`]).
    literals: Literals,
}

/// A root schema and every document its `$ref`s may reach, indexed for resolution.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    docs: Vec<Document>,
    /// Absolute URIs (documents, embedded `$id`s, `$anchor`s, aliases) to locations.
    index: HashMap<String, Location>,
    /// Further URIs a document is known by (found through a schema root by a
    /// reference that resolved elsewhere), for the validator's registry.
    aliases: Vec<(String, DocId)>,
}

/// One reference as written: where, with which keyword, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub at: Location,
    pub keyword: &'static str,
    pub reference: String,
}

/// A reference whose target document the set does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingDocument {
    /// The absolute URI of the document, without fragment.
    pub uri: String,
    /// The reference as written, and the base URI it was resolved against.
    pub reference: String,
    pub base: String,
    /// The document and JSON pointer of the object holding the reference.
    pub doc: String,
    pub pointer: String,
}

/// The keywords that reference another schema.
pub const REF_KEYWORDS: [&str; 3] = ["$ref", "$dynamicRef", "$recursiveRef"];

impl SchemaSet {
    /// A set whose root document is `root`, known by `uri` (for example
    /// `file:///repo/schemas/auth.user.created/v1.json`).
    pub fn new(uri: &str, root: Value) -> Result<SchemaSet, SchemaError> {
        let mut set = SchemaSet {
            docs: Vec::new(),
            index: HashMap::new(),
            aliases: Vec::new(),
        };
        set.add(uri, root)?;
        Ok(set)
    }

    /// Adds a document that `$ref`s may reach. The first document is the root.
    pub fn add(&mut self, uri: &str, value: Value) -> Result<DocId, SchemaError> {
        let uri = normalize_uri(uri);
        let dialect = match value.get("$schema").and_then(Value::as_str) {
            Some(s) => Dialect::from_uri(s).ok_or_else(|| SchemaError::UnknownDialect {
                doc: uri.clone(),
                uri: s.to_owned(),
            })?,
            // A document without `$schema` is read in the root's dialect, as
            // the documents that refer to it are (2020-12 for a root).
            None => self
                .docs
                .first()
                .map_or(Dialect::Draft202012, |d| d.dialect),
        };
        check_depth(&uri, &value)?;
        let doc = self.docs.len();
        self.docs.push(Document {
            uri: uri.clone(),
            value: Arc::new(value),
            dialect,
            literals: Arc::new([]),
        });
        let root = Location {
            doc,
            pointer: "".into(),
            base: self.base_of(doc),
        };
        self.index.entry(uri).or_insert_with(|| root.clone());
        self.index.entry(root.base.to_string()).or_insert(root);
        self.index_ids(doc);
        Ok(doc)
    }

    /// Makes `uri` another name of document `doc` (its base URI stays its own).
    pub fn alias(&mut self, uri: &str, doc: DocId) {
        let uri = normalize_uri(uri);
        if self.index.contains_key(&uri) {
            return;
        }
        let root = Location {
            doc,
            pointer: "".into(),
            base: self.base_of(doc),
        };
        self.index.insert(uri.clone(), root);
        self.aliases.push((uri, doc));
    }

    /// Adds every document of `other` this set does not hold yet, with its aliases.
    pub fn add_all(&mut self, other: &SchemaSet) -> Result<(), SchemaError> {
        let mut ids = Vec::with_capacity(other.docs.len());
        for d in &other.docs {
            let id = match self.docs.iter().position(|x| x.uri == d.uri) {
                Some(i) => i,
                None => {
                    let id = self.add(&d.uri, (*d.value).clone())?;
                    self.docs[id].literals = d.literals.clone();
                    id
                }
            };
            ids.push(id);
        }
        for (uri, doc) in &other.aliases {
            self.alias(uri, ids[*doc]);
        }
        Ok(())
    }

    /// Whether `other` holds the very same documents (a clone, not a view
    /// that rewrote some).
    pub fn same_documents(&self, other: &SchemaSet) -> bool {
        self.docs.len() == other.docs.len()
            && self
                .docs
                .iter()
                .zip(&other.docs)
                .all(|(a, b)| Arc::ptr_eq(&a.value, &b.value))
    }

    /// Whether `other` is the same schema: the same documents, equal, under
    /// the same URIs and aliases, so every reference resolves alike and
    /// every instance gets the same answer.
    pub fn is_same_as(&self, other: &SchemaSet) -> bool {
        self.docs.len() == other.docs.len()
            && self.aliases == other.aliases
            && self.docs.iter().zip(&other.docs).all(|(a, b)| {
                a.uri == b.uri
                    && a.dialect == b.dialect
                    && (Arc::ptr_eq(&a.value, &b.value) || a.value == b.value)
                    && a.literals == b.literals
            })
    }

    /// Keeps the integers past 64 bits that `text`, the text document `doc`
    /// was parsed from, spells, so they are compared exactly: serde_json read
    /// each as an `f64` its neighbours share. A literal whose pointer does not
    /// hold that `f64` (another text) is not kept.
    pub fn read_literals(&mut self, doc: DocId, text: &str) {
        let d = &mut self.docs[doc];
        let found: Vec<(Arc<str>, Arc<str>)> = literals::big_integers(text)
            .into_iter()
            .filter(|(pointer, digits)| {
                lookup(&d.value, pointer).is_some_and(|v| literals::literal_matches(v, digits))
            })
            .map(|(pointer, digits)| (pointer.into(), digits.into()))
            .collect();
        d.literals = found.into();
    }

    /// Document `doc` as compact JSON text, its integers past 64 bits with
    /// all their digits; object keys sorted when `sorted` (a canonical form).
    pub fn document_text(&self, doc: DocId, sorted: bool) -> String {
        let d = &self.docs[doc];
        if d.literals.is_empty() && !sorted {
            return d.value.to_string();
        }
        literals::exact_text(&d.value, &d.literals, sorted)
    }

    /// The integers past 64 bits of document `doc` as written, by pointer.
    pub fn literals(&self, doc: DocId) -> &[(Arc<str>, Arc<str>)] {
        &self.docs[doc].literals
    }

    /// The URIs documents are known by besides their own, as (URI, document).
    pub fn aliases(&self) -> &[(String, DocId)] {
        &self.aliases
    }

    /// The absolute URIs (no fragment) that name document `doc` or a schema
    /// inside it: its own URI, its `$id` and every embedded `$id`.
    pub fn identifiers(&self, doc: DocId) -> Vec<String> {
        let mut out: Vec<String> = self
            .index
            .iter()
            .filter(|(k, l)| l.doc == doc && !k.contains('#'))
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }

    /// The document known by an absolute URI (its own, its `$id` or an alias).
    pub fn document_by_uri(&self, uri: &str) -> Option<DocId> {
        let loc = self.index.get(&normalize_uri(uri))?;
        loc.pointer.is_empty().then_some(loc.doc)
    }

    /// The root document's location.
    pub fn root(&self) -> Location {
        Location {
            doc: 0,
            pointer: "".into(),
            base: self.base_of(0),
        }
    }

    /// The base URI of document `doc`: its `$id` resolved against its URI, or its URI.
    pub fn base_uri(&self, doc: DocId) -> Arc<str> {
        self.base_of(doc)
    }

    fn base_of(&self, doc: DocId) -> Arc<str> {
        let d = &self.docs[doc];
        match d.value.as_object().and_then(|o| base_id(o, d.dialect)) {
            Some(id) => normalize_uri(&resolve_uri(&d.uri, id)).into(),
            None => d.uri.clone().into(),
        }
    }

    pub fn doc_uri(&self, doc: DocId) -> &str {
        &self.docs[doc].uri
    }

    pub fn dialect(&self, doc: DocId) -> Dialect {
        self.docs[doc].dialect
    }

    pub fn document(&self, doc: DocId) -> &Value {
        &self.docs[doc].value
    }

    /// Every document as (URI, value), the root first.
    pub fn documents(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.docs.iter().map(|d| (d.uri.as_str(), &*d.value))
    }

    /// The schema value at a location.
    pub fn get(&self, at: &Location) -> Option<&Value> {
        lookup(&self.docs.get(at.doc)?.value, &at.pointer)
    }

    /// The location of a child keyword path (`["properties", "name"]`), with
    /// the base URI updated by any `$id` it has.
    pub fn child(&self, at: &Location, path: &[&str]) -> Location {
        let dialect = self.docs[at.doc].dialect;
        match self.get(at) {
            Some(parent) => SchemaSet::child_in(at, parent, path, dialect),
            None => SchemaSet::child_in(at, &Value::Null, path, dialect),
        }
    }

    /// [`SchemaSet::child`] when the caller already holds the value at `at`.
    pub fn child_in(at: &Location, parent: &Value, path: &[&str], dialect: Dialect) -> Location {
        let mut pointer = String::with_capacity(at.pointer.len() + 24);
        pointer.push_str(&at.pointer);
        let mut value = Some(parent);
        for seg in path {
            pointer.push('/');
            pointer.push_str(&escape_pointer(seg));
            value = match value {
                Some(Value::Object(m)) => m.get(*seg),
                Some(Value::Array(a)) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
        }
        let base = match value
            .and_then(Value::as_object)
            .and_then(|o| base_id(o, dialect))
        {
            Some(id) => normalize_uri(&resolve_uri(&at.base, id)).into(),
            None => at.base.clone(),
        };
        Location {
            doc: at.doc,
            pointer: pointer.into(),
            base,
        }
    }

    /// Resolves `reference` as written at `at`.
    pub fn resolve(&self, at: &Location, reference: &str) -> Result<Location, SchemaError> {
        let unresolvable = |message: String| SchemaError::UnresolvableRef {
            doc: self.docs[at.doc].uri.clone(),
            pointer: at.pointer.to_string(),
            reference: reference.to_owned(),
            message,
        };
        let (resource, fragment) = resolve_reference(&at.base, reference)
            .map_err(|e| unresolvable(format!("not a URI reference: {e}")))?;
        let resource = resource.as_str();
        let fragment = percent_decode(fragment);
        if !fragment.is_empty() && !fragment.starts_with('/') {
            // A plain-name fragment is an `$anchor` (or a draft-07 `$id: "#name"`).
            return self
                .index
                .get(&format!("{resource}#{fragment}"))
                .cloned()
                .ok_or_else(|| {
                    unresolvable(format!(
                        "no anchor {fragment:?} in {resource} (base URI {})",
                        at.base
                    ))
                });
        }
        let target = self.index.get(resource).cloned().ok_or_else(|| {
            unresolvable(format!(
                "no document {resource} was given (base URI {}; remote references are never fetched)",
                at.base
            ))
        })?;
        let pointer = format!("{}{}", target.pointer, fragment);
        if lookup(&self.docs[target.doc].value, &pointer).is_none() {
            return Err(unresolvable(format!(
                "the JSON pointer {fragment:?} names nothing in {resource}"
            )));
        }
        // Recompute the base along the pointer: embedded `$id`s on the way change it.
        let mut loc = target;
        for seg in fragment.split('/').skip(1).map(unescape_pointer) {
            loc = self.child(&loc, &[seg.as_str()]);
        }
        Ok(loc)
    }

    /// Every schema object of document `doc`, with its location, depth first.
    /// How many schema nodes validating an instance may visit, with every
    /// `$ref` expanded in place (a reference back into its own expansion,
    /// recursion the instance bounds, counts once); `None` when more than
    /// `limit`. A chain like `d_i = anyOf [{$ref d_(i-1)}, {$ref d_(i-1)}]`
    /// is small as text but exponential to validate: this finds it.
    pub fn expanded_size(&self, limit: u64) -> Option<u64> {
        fn size(
            set: &SchemaSet,
            loc: &Location,
            memo: &mut HashMap<(DocId, Arc<str>), u64>,
            path: &mut Vec<(DocId, Arc<str>)>,
            limit: u64,
        ) -> u64 {
            let key = (loc.doc, loc.pointer.clone());
            if let Some(n) = memo.get(&key) {
                return *n;
            }
            if path.contains(&key) || path.len() > 4 * MAX_DEPTH {
                return 1;
            }
            let Some(Value::Object(obj)) = set.get(loc) else {
                return 1;
            };
            path.push(key.clone());
            let mut total: u64 = 1;
            for p in subschema_paths(obj, set.docs[loc.doc].dialect) {
                let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                let child = set.child(loc, &refs);
                total = total.saturating_add(size(set, &child, memo, path, limit));
                if total > limit {
                    break;
                }
            }
            for keyword in REF_KEYWORDS {
                if let Some(r) = obj.get(keyword).and_then(Value::as_str)
                    && let Ok(target) = set.resolve(loc, r)
                {
                    total = total.saturating_add(size(set, &target, memo, path, limit));
                }
            }
            path.pop();
            memo.insert(key, total);
            total
        }
        let n = size(
            self,
            &self.root(),
            &mut HashMap::new(),
            &mut Vec::new(),
            limit,
        );
        (n <= limit).then_some(n)
    }

    fn walk(&self, doc: DocId, f: &mut dyn FnMut(&Location, &Map<String, Value>)) {
        let mut stack = vec![Location {
            doc,
            pointer: "".into(),
            base: self.base_of(doc),
        }];
        while let Some(loc) = stack.pop() {
            let Some(Value::Object(obj)) = self.get(&loc) else {
                continue;
            };
            f(&loc, obj);
            for path in subschema_paths(obj, self.docs[doc].dialect) {
                let refs: Vec<&str> = path.iter().map(String::as_str).collect();
                stack.push(self.child(&loc, &refs));
            }
        }
    }

    /// Every reference of every document (`$ref`, `$dynamicRef`,
    /// `$recursiveRef`), with the location of the object it is written in:
    /// the one walk over references that loading, registration and checks share.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        for doc in 0..self.docs.len() {
            self.walk(doc, &mut |loc, obj| {
                for keyword in REF_KEYWORDS {
                    if let Some(r) = obj.get(keyword).and_then(Value::as_str) {
                        out.push(Reference {
                            at: loc.clone(),
                            keyword,
                            reference: r.to_owned(),
                        });
                    }
                }
            });
        }
        out
    }

    /// The documents some reference points to and the set does not hold
    /// yet: what a loader should find next. One entry per document, naming
    /// the first reference that needs it.
    pub fn missing_documents(&self) -> Vec<MissingDocument> {
        let mut out: Vec<MissingDocument> = Vec::new();
        for r in self.references() {
            let Ok((resource, _)) = resolve_reference(&r.at.base, &r.reference) else {
                continue;
            };
            let resource = resource.as_str();
            if !self.index.contains_key(resource) && !out.iter().any(|m| m.uri == resource) {
                out.push(MissingDocument {
                    uri: resource.to_owned(),
                    reference: r.reference,
                    base: r.at.base.to_string(),
                    doc: self.docs[r.at.doc].uri.clone(),
                    pointer: format!("{}/{}", r.at.pointer, r.keyword),
                });
            }
        }
        out
    }

    /// Adds the standard metaschemas that references name, transitively
    /// (they are compiled in; nothing is fetched). Returns how many were added.
    pub fn add_known_documents(&mut self) -> Result<usize, SchemaError> {
        let mut added = 0;
        loop {
            let known: Vec<(String, &'static Value)> = self
                .missing_documents()
                .into_iter()
                .filter_map(|m| known_document(&m.uri).map(|v| (m.uri, v)))
                .collect();
            if known.is_empty() {
                return Ok(added);
            }
            for (uri, value) in known {
                if self.index.contains_key(&uri) {
                    continue;
                }
                self.add(&uri, value.clone())?;
                added += 1;
            }
        }
    }

    /// Resolves every reference of every document, so a dangling one is
    /// reported where it is written.
    pub fn check_refs(&self) -> Result<(), SchemaError> {
        for r in self.references() {
            self.resolve(&r.at, &r.reference).map_err(|e| match e {
                SchemaError::UnresolvableRef {
                    doc,
                    reference,
                    message,
                    ..
                } => SchemaError::UnresolvableRef {
                    doc,
                    pointer: format!("{}/{}", r.at.pointer, r.keyword),
                    reference,
                    message,
                },
                other => other,
            })?;
        }
        Ok(())
    }

    fn index_ids(&mut self, doc: DocId) {
        let dialect = self.docs[doc].dialect;
        let mut found = Vec::new();
        self.walk(doc, &mut |loc, obj| {
            if base_id(obj, dialect).is_some() {
                found.push((loc.base.to_string(), loc.clone()));
            }
            for anchor in uri::anchors(obj, dialect) {
                found.push((format!("{}#{anchor}", loc.base), loc.clone()));
            }
        });
        for (uri, loc) in found {
            self.index.entry(uri).or_insert(loc);
        }
    }
}

/// The type names a schema object's `type` keyword lists (empty when absent).
pub fn type_names(obj: &Map<String, Value>) -> Vec<String> {
    match obj.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Keyword paths below a schema object that hold subschemas.
pub fn subschema_paths(obj: &Map<String, Value>, dialect: Dialect) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (k, v) in obj {
        match k.as_str() {
            "additionalProperties"
            | "propertyNames"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "unevaluatedProperties"
            | "unevaluatedItems"
            | "additionalItems"
            | "contentSchema" => out.push(vec![k.clone()]),
            "items" => match v {
                Value::Array(a) if dialect.tuple_items() => {
                    out.extend((0..a.len()).map(|i| vec![k.clone(), i.to_string()]))
                }
                _ => out.push(vec![k.clone()]),
            },
            "prefixItems" | "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(a) = v {
                    out.extend((0..a.len()).map(|i| vec![k.clone(), i.to_string()]));
                }
            }
            "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                if let Value::Object(m) = v {
                    out.extend(m.keys().map(|n| vec![k.clone(), n.clone()]));
                }
            }
            "dependencies" => {
                if let Value::Object(m) = v {
                    out.extend(
                        m.iter()
                            .filter(|(_, s)| s.is_object() || s.is_boolean())
                            .map(|(n, _)| vec![k.clone(), n.clone()]),
                    );
                }
            }
            _ => {}
        }
    }
    out
}

/// Refuses values nested deeper than [`MAX_DEPTH`], iteratively.
fn check_depth(doc: &str, value: &Value) -> Result<(), SchemaError> {
    let mut stack: Vec<(&Value, usize, String)> = vec![(value, 0, String::new())];
    while let Some((v, depth, pointer)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(SchemaError::TooDeep {
                doc: doc.to_owned(),
                pointer,
            });
        }
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if x.is_array() || x.is_object() {
                        stack.push((x, depth + 1, format!("{pointer}/{i}")));
                    }
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    if x.is_array() || x.is_object() {
                        stack.push((x, depth + 1, format!("{pointer}/{}", escape_pointer(k))));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The value a JSON pointer names, without allocating for plain segments.
pub fn lookup<'v>(root: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        return Some(root);
    }
    let rest = pointer.strip_prefix('/')?;
    let mut v = root;
    for raw in rest.split('/') {
        let owned;
        let seg = if raw.contains('~') {
            owned = unescape_pointer(raw);
            owned.as_str()
        } else {
            raw
        };
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.pointer)
    }
}

/// Rewrites every record object (a schema with `properties`) for the LENIENT
/// policy: `close` sets `additionalProperties: false` where it is absent or
/// `true` (what generated writers send); otherwise drops `additionalProperties:
/// false` (what generated readers accept). Keyword values that are data
/// (`enum`, `const`, `default`, `examples`) are left alone.
pub fn lenient_view(value: &Value, dialect: Dialect, close: bool) -> Value {
    lenient_view_if_changed(value, dialect, close).unwrap_or_else(|| value.clone())
}

/// Whether the LENIENT view changes this schema object.
fn lenient_change(obj: &Map<String, Value>, close: bool) -> bool {
    if !obj.contains_key("properties") {
        return false;
    }
    match obj.get("additionalProperties") {
        None | Some(Value::Bool(true)) => close && !obj.contains_key("patternProperties"),
        Some(Value::Bool(false)) => !close,
        Some(_) => false,
    }
}

/// Whether `f` holds for some schema object in the document (data keywords skipped).
fn any_schema_object(
    value: &Value,
    dialect: Dialect,
    f: &dyn Fn(&Map<String, Value>) -> bool,
) -> bool {
    let mut stack: Vec<&Value> = vec![value];
    while let Some(v) = stack.pop() {
        let Value::Object(obj) = v else { continue };
        if f(obj) {
            return true;
        }
        for path in subschema_paths(obj, dialect) {
            let mut child = Some(v);
            for seg in &path {
                child = match child {
                    Some(Value::Object(m)) => m.get(seg.as_str()),
                    Some(Value::Array(a)) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                };
            }
            stack.extend(child);
        }
    }
    false
}

/// [`lenient_view`], or `None` when the view is the document itself.
fn lenient_view_if_changed(value: &Value, dialect: Dialect, close: bool) -> Option<Value> {
    if !any_schema_object(value, dialect, &|obj| lenient_change(obj, close)) {
        return None;
    }
    let mut out = value.clone();
    let mut stack: Vec<&mut Value> = vec![&mut out];
    while let Some(v) = stack.pop() {
        let Value::Object(obj) = v else { continue };
        if lenient_change(obj, close) {
            if close {
                obj.insert("additionalProperties".into(), Value::Bool(false));
            } else {
                obj.remove("additionalProperties");
            }
        }
        let paths = subschema_paths(obj, dialect);
        let keys: std::collections::HashSet<&str> = paths.iter().map(|p| p[0].as_str()).collect();
        for (k, child) in obj.iter_mut() {
            if !keys.contains(k.as_str()) {
                continue;
            }
            let map_keyword = matches!(
                k.as_str(),
                "properties"
                    | "patternProperties"
                    | "$defs"
                    | "definitions"
                    | "dependentSchemas"
                    | "dependencies"
            );
            if let Value::Array(a) = child {
                stack.extend(a.iter_mut());
            } else if map_keyword {
                if let Value::Object(m) = child {
                    stack.extend(m.values_mut());
                }
            } else {
                stack.push(child);
            }
        }
    }
    Some(out)
}

impl SchemaSet {
    /// The same documents under a LENIENT view (see [`lenient_view`]).
    pub fn lenient(&self, close: bool) -> SchemaSet {
        let mut set = self.clone();
        for d in &mut set.docs {
            if let Some(v) = lenient_view_if_changed(&d.value, d.dialect, close) {
                d.value = Arc::new(v);
            }
        }
        set
    }
}

/// The full message schema of one event version: the envelope, with
/// `event_type` fixed to the routing key, `event_version` to `v{version}`,
/// and `payload` to the payload schema; without an envelope, an object whose
/// required `payload` is the payload schema. Every document of both sets is
/// kept, so references inside either still resolve. The registry's
/// `/validate` and `evreg check`'s examples both validate against this.
pub fn compose_message(
    envelope: Option<&SchemaSet>,
    routing_key: &str,
    version: u32,
    payload: &SchemaSet,
) -> Result<SchemaSet, SchemaError> {
    let payload_uri = payload.doc_uri(0).to_owned();
    let wrapper = match envelope {
        Some(envelope) => serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": format!("{routing_key} v{version} message"),
            "allOf": [{"$ref": envelope.doc_uri(0)}],
            "properties": {
                "event_type": {"const": routing_key},
                "event_version": {"const": format!("v{version}")},
                "payload": {"$ref": payload_uri},
            },
        }),
        None => serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": format!("{routing_key} v{version} message"),
            "type": "object",
            "required": ["payload"],
            "properties": {"payload": {"$ref": payload_uri}},
        }),
    };
    let uri = format!("evreg:message/{routing_key}/v{version}");
    let mut set = SchemaSet::new(&uri, wrapper)?;
    if let Some(envelope) = envelope {
        set.add_all(envelope)?;
    }
    set.add_all(payload)?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_ref_chains_are_measured_not_walked() {
        let chain = |n: usize| {
            let mut defs = serde_json::Map::new();
            defs.insert("d0".into(), serde_json::json!({"type": "string"}));
            for i in 1..=n {
                let prev = format!("#/$defs/d{}", i - 1);
                defs.insert(
                    format!("d{i}"),
                    serde_json::json!({"anyOf": [{"$ref": prev}, {"$ref": prev}]}),
                );
            }
            SchemaSet::new("evreg:t", serde_json::json!({"$defs": defs, "properties": {"a": {"$ref": format!("#/$defs/d{n}")}}}))
                .expect("schema")
        };
        assert!(chain(8).expanded_size(1_000_000).is_some());
        assert_eq!(chain(40).expanded_size(1_000_000), None);
        // Recursion is not blow-up: a tree schema stays small.
        let tree = SchemaSet::new("evreg:tree", serde_json::json!({"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}})).expect("schema");
        assert!(tree.expanded_size(100).is_some_and(|n| n < 10));
    }
    use serde_json::json;

    #[test]
    fn cross_file_and_id_refs() {
        let mut set = SchemaSet::new(
            "file:///s/a.json",
            json!({"$defs": {"x": {"$id": "inner.json", "$defs": {"y": {"type": "string"}}}}}),
        )
        .expect("valid");
        set.add(
            "file:///s/common/m.json",
            json!({"$defs": {"m": {"type": "integer"}}}),
        )
        .expect("valid");
        let root = set.root();
        let m = set
            .resolve(&root, "common/m.json#/$defs/m")
            .expect("resolves");
        assert_eq!(set.get(&m), Some(&json!({"type": "integer"})));
        let y = set.resolve(&root, "inner.json#/$defs/y").expect("resolves");
        assert_eq!(set.get(&y), Some(&json!({"type": "string"})));
        assert!(matches!(
            set.resolve(&root, "nowhere.json"),
            Err(SchemaError::UnresolvableRef { .. })
        ));
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = json!({});
        for _ in 0..(MAX_DEPTH + 5) {
            v = json!({ "not": v });
        }
        assert!(matches!(
            SchemaSet::new("file:///deep.json", v),
            Err(SchemaError::TooDeep { .. })
        ));
    }

    #[test]
    fn lenient_views() {
        let s = json!({"properties": {"a": {"type": "object", "properties": {}, "additionalProperties": false}}, "enum": [{"properties": 1}]});
        let closed = lenient_view(&s, Dialect::Draft202012, true);
        assert_eq!(closed["additionalProperties"], json!(false));
        let open = lenient_view(&s, Dialect::Draft202012, false);
        assert!(
            open["properties"]["a"]
                .get("additionalProperties")
                .is_none()
        );
        assert_eq!(open["enum"], s["enum"]);
    }
}
