//! Instance validation with the `jsonschema` crate over a [`SchemaSet`]'s in-memory documents; never fetches anything.

use jsonschema::{Draft, Registry};

use serde_json::Value;

use super::{Dialect, SchemaError, SchemaSet};

/// A compiled validator for the root of a [`SchemaSet`].
pub struct Validator {
    inner: jsonschema::Validator,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Validator")
    }
}

/// One reason an instance is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    /// JSON pointer into the instance.
    pub instance_path: String,
    /// JSON pointer into the schema, through `$ref`s.
    pub schema_path: String,
    pub message: String,
}

fn draft(d: Dialect) -> Draft {
    match d {
        Dialect::Draft4 => Draft::Draft4,
        Dialect::Draft6 => Draft::Draft6,
        Dialect::Draft7 => Draft::Draft7,
        Dialect::Draft201909 => Draft::Draft201909,
        Dialect::Draft202012 => Draft::Draft202012,
    }
}

fn meta_validate(d: Draft, value: &Value) -> Result<(), jsonschema::ValidationError<'_>> {
    match d {
        Draft::Draft4 => jsonschema::draft4::meta::validate(value),
        Draft::Draft6 => jsonschema::draft6::meta::validate(value),
        Draft::Draft7 => jsonschema::draft7::meta::validate(value),
        Draft::Draft201909 => jsonschema::draft201909::meta::validate(value),
        _ => jsonschema::draft202012::meta::validate(value),
    }
}

impl Validator {
    /// Checks that every document is a well-formed schema (meta-schema,
    /// regular expressions, `$ref`s), then compiles the root.
    pub fn new(set: &SchemaSet) -> Result<Validator, SchemaError> {
        check_well_formed(set)?;
        Validator::compile(set)
    }

    /// Compiles the root of a set already known to be well formed.
    ///
    /// Every other document is registered under its URI and its aliases, and
    /// gets its URI as `$id` (`id` in draft-04) when it declares none, so the
    /// validator bases its relative references where evreg's model does, also
    /// when a schema root found the document under another name.
    pub fn compile(set: &SchemaSet) -> Result<Validator, SchemaError> {
        let root_doc = set.doc_uri(0).to_owned();
        let not_a_schema = |doc: &str, message: String, pointer: String| SchemaError::NotASchema {
            doc: doc.to_owned(),
            pointer,
            message,
        };
        let (contents, names) = validator_resources(set);
        let resources: Vec<(String, referencing::ResourceRef<'_>)> = names
            .into_iter()
            .map(|(uri, i)| (uri, draft(set.dialect(i)).create_resource_ref(&contents[i])))
            .collect();
        let registry = Registry::new()
            .extend(resources)
            .and_then(|r| r.prepare())
            .map_err(|e| not_a_schema(&root_doc, e.to_string(), String::new()))?;
        let inner = jsonschema::options()
            .with_draft(draft(set.dialect(0)))
            .with_base_uri(root_doc.clone())
            .with_registry(&registry)
            .offline()
            .build(&contents[0])
            .map_err(|e| {
                let pointer = e.instance_path().as_str().to_owned();
                not_a_schema(&root_doc, e.to_string(), pointer)
            })?;
        Ok(Validator { inner })
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.inner.is_valid(instance)
    }

    /// Every reason `instance` is invalid (empty when it is valid).
    pub fn issues(&self, instance: &Value) -> Vec<ValidationIssue> {
        self.inner
            .iter_errors(instance)
            .map(|e| ValidationIssue {
                instance_path: e.instance_path().as_str().to_owned(),
                schema_path: e.schema_path().as_str().to_owned(),
                message: e.to_string(),
            })
            .collect()
    }
}

/// The documents of a set as the validator's registry holds them: each with
/// its URI as identifier when it declares none (so the validator bases its
/// relative references where evreg's model does), and every name it is
/// registered under besides the root: (URI, index into the documents).
pub fn validator_resources(set: &SchemaSet) -> (Vec<Value>, Vec<(String, usize)>) {
    let contents: Vec<Value> = set
        .documents()
        .enumerate()
        .map(|(i, (uri, v))| with_own_id(v, uri, set.dialect(i)))
        .collect();
    let mut names: Vec<(String, usize)> = set
        .documents()
        .enumerate()
        .skip(1)
        .map(|(i, (uri, _))| (uri.to_owned(), i))
        .collect();
    names.extend(set.aliases().iter().cloned());
    (contents, names)
}

/// `value` with `uri` as its identifier when it declares none.
fn with_own_id(value: &Value, uri: &str, dialect: Dialect) -> Value {
    let mut v = value.clone();
    if let Value::Object(m) = &mut v {
        let key = if dialect == Dialect::Draft4 {
            "id"
        } else {
            "$id"
        };
        if !m.contains_key(key) {
            m.insert(key.into(), Value::String(uri.to_owned()));
        }
    }
    v
}

/// Checks every document of a set against its meta-schema, compiles its
/// regular expressions and resolves its `$ref`s; errors name the document and pointer.
pub fn check_well_formed(set: &SchemaSet) -> Result<(), SchemaError> {
    let not_a_schema = |doc: &str, message: String, pointer: String| SchemaError::NotASchema {
        doc: doc.to_owned(),
        pointer,
        message,
    };
    // Meta-validate every document first so errors name the right file.
    for (i, (uri, value)) in set.documents().enumerate() {
        if value.is_boolean() {
            continue;
        }
        if !value.is_object() {
            return Err(not_a_schema(
                uri,
                "a schema must be a JSON object or a boolean".to_owned(),
                String::new(),
            ));
        }
        if let Err(e) = meta_validate(draft(set.dialect(i)), value) {
            let pointer = e.instance_path().as_str().to_owned();
            if let jsonschema::error::ValidationErrorKind::Format { format } = e.kind()
                && format == "regex"
            {
                return Err(SchemaError::InvalidRegex {
                    doc: uri.to_owned(),
                    pointer,
                    pattern: e.instance().as_str().unwrap_or_default().to_owned(),
                    message: "not an ECMA-262 regular expression".to_owned(),
                });
            }
            return Err(not_a_schema(uri, e.to_string(), pointer));
        }
    }
    set.check_refs()
}
