//! Randomized soundness: random schema pairs over the supported fragment, under STRICT and LENIENT; every verdict is checked against sampled instances.
//!
//! For `compatible`, every sampled instance the writer's schema accepts must
//! be accepted by the reader's; for `incompatible`, each witness must be
//! accepted by the writer's schema and refused by the reader's — by the
//! `jsonschema` crate, on the views the policy reads (LENIENT: the writer's
//! objects closed, the reader's open). Schemas and instances are proptest
//! strategies, so a failure shrinks to a small pair.
//!
//! And a differential test of the model itself: wherever the checker's model
//! says for certain whether a schema accepts an instance, the validator must
//! agree. A disagreement is how a witness fails re-validation and a check
//! ends `unknown`; here it shrinks to a minimal schema and instance.

use evreg_core::compat::model_admits;
use evreg_core::schema::Validator;
use evreg_core::{Mode, Policy, SchemaSet, Verdict, check};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const NAMES: [&str; 3] = ["a", "b", "c"];
const STRINGS: [&str; 9] = ["", "a", "b", "ab", "ba", "c", "aaa", "é", "日本"];
const PATTERNS: [&str; 7] = ["^a", "b$", "^[ab]+$", "c", "^.{2}$", "^é", "^\\p{L}+$"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-2i64..3).prop_map(Value::from),
        select(vec![0.5, 1.5, -0.5, 2.0]).prop_map(|f| json!(f)),
        select(STRINGS.to_vec()).prop_map(Value::from),
    ]
}

fn leaf_schema() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(vec!["null", "boolean", "integer", "number", "string"])
            .prop_map(|t| json!({"type": t})),
        (select(vec!["integer", "number"]), -2i64..2, 0i64..4)
            .prop_map(|(t, lo, hi)| json!({"type": t, "minimum": lo, "maximum": hi})),
        (0u64..3, 1u64..4)
            .prop_map(|(lo, hi)| json!({"type": "string", "minLength": lo, "maxLength": hi})),
        select(PATTERNS.to_vec()).prop_map(|p| json!({"type": "string", "pattern": p})),
        prop::collection::vec(scalar(), 1..4).prop_map(|vs| json!({"enum": vs})),
        scalar().prop_map(|c| json!({"const": c})),
        any::<bool>().prop_map(Value::Bool),
    ]
}

/// What an object schema says beyond its properties about the others.
#[derive(Debug, Clone)]
enum Additional {
    Unsaid,
    Closed,
    Schema(Value),
}

/// Schemas over the checker's fragment, nested up to three levels.
fn schema() -> impl Strategy<Value = Value> {
    leaf_schema().prop_recursive(3, 24, 3, |inner| {
        let props = prop::collection::vec(inner.clone(), 1..=3);
        let additional = prop_oneof![
            Just(Additional::Unsaid),
            Just(Additional::Closed),
            inner.clone().prop_map(Additional::Schema),
        ];
        prop_oneof![
            (
                inner.clone(),
                prop::option::of(0u64..3),
                prop::option::of(0u64..2),
                prop::bool::weighted(0.25),
            )
                .prop_map(|(items, max, min, unique)| {
                    let mut s = json!({"type": "array", "items": items});
                    if let Some(m) = max {
                        s["maxItems"] = json!(m);
                    }
                    if let Some(m) = min {
                        s["minItems"] = json!(m);
                    }
                    if unique {
                        s["uniqueItems"] = json!(true);
                    }
                    s
                }),
            (
                props,
                prop::sample::subsequence(NAMES.to_vec(), 0..=3),
                additional
            )
                .prop_map(|(props, required, additional)| {
                    let props: serde_json::Map<String, Value> =
                        NAMES.iter().map(|n| (*n).to_owned()).zip(props).collect();
                    let mut s =
                        json!({"type": "object", "properties": props, "required": required});
                    match additional {
                        Additional::Unsaid => {}
                        Additional::Closed => s["additionalProperties"] = json!(false),
                        Additional::Schema(x) => s["additionalProperties"] = x,
                    }
                    s
                }),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"anyOf": [a, b]})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"allOf": [a, b]})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"oneOf": [a, b]})),
            inner.prop_map(|a| json!({"not": a})),
        ]
    })
}

/// An old schema and a new one: half the time unrelated, half the time the
/// old one widened (`anyOf`), so compatible pairs occur often.
fn pair() -> impl Strategy<Value = (Value, Value)> {
    (schema(), schema(), any::<bool>()).prop_map(|(old, other, widen)| {
        let new = if widen {
            json!({"anyOf": [old.clone(), other]})
        } else {
            other
        };
        (old, new)
    })
}

fn instance() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(prop::option::of(inner), 3).prop_map(|vs| {
                Value::Object(
                    NAMES
                        .iter()
                        .zip(vs)
                        .filter_map(|(n, v)| v.map(|v| ((*n).to_owned(), v)))
                        .collect(),
                )
            }),
        ]
    })
}

fn check_pair(
    old: &Value,
    new: &Value,
    policy: Policy,
    samples: &[Value],
) -> Result<(), TestCaseError> {
    let old_set = SchemaSet::new("file:///old.json", old.clone()).expect("old");
    let new_set = SchemaSet::new("file:///new.json", new.clone()).expect("new");
    let report = check(&old_set, &new_set, Mode::Backward, policy).expect("checkable");
    // The views the policy reads: LENIENT writers send declared fields only, readers ignore the rest.
    let (writer, reader) = match policy {
        Policy::Strict => (old_set, new_set),
        Policy::Lenient => (old_set.lenient(true), new_set.lenient(false)),
    };
    let (writer, reader) = (
        Validator::new(&writer).expect("writer compiles"),
        Validator::new(&reader).expect("reader compiles"),
    );
    match report.verdict {
        Verdict::Compatible => {
            for v in samples {
                if writer.is_valid(v) {
                    prop_assert!(
                        reader.is_valid(v),
                        "compatible under {policy}, yet {v} is accepted by old {old} and refused by new {new}"
                    );
                }
            }
        }
        Verdict::Incompatible => {
            prop_assert!(!report.changes.is_empty());
            for c in &report.changes {
                prop_assert!(
                    writer.is_valid(&c.witness) && !reader.is_valid(&c.witness),
                    "under {policy}, witness {} does not separate {old} from {new}",
                    c.witness
                );
            }
        }
        Verdict::Unknown => prop_assert!(!report.reasons.is_empty(), "an unknown verdict says why"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, .. ProptestConfig::default() })]
    #[test]
    fn verdicts_are_sound(
        (old, new) in pair(),
        policy in prop_oneof![Just(Policy::Strict), Just(Policy::Lenient)],
        samples in prop::collection::vec(instance(), 200),
    ) {
        check_pair(&old, &new, policy, &samples)?;
    }
}

/// The keywords whose unknowns cluster in real corpora, around the fragment above.
fn rich_schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        3 => leaf_schema(),
        1 => (select(vec![0.5, 1.0, 2.0, 3.0]), select(vec!["integer", "number"]))
            .prop_map(|(m, t)| json!({"type": t, "multipleOf": m})),
        1 => (-2i64..2).prop_map(|x| json!({"type": "number", "exclusiveMinimum": x})),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), prop::option::of(inner.clone()))
                .prop_map(|(i, t, e)| {
                    let mut s = json!({"if": i, "then": t});
                    if let Some(e) = e {
                        s["else"] = e;
                    }
                    s
                }),
            (inner.clone(), prop::option::of(0u64..3))
                .prop_map(|(c, min)| {
                    let mut s = json!({"type": "array", "contains": c});
                    if let Some(m) = min {
                        s["minContains"] = json!(m);
                    }
                    s
                }),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| json!({"type": "array", "prefixItems": [a], "items": b})),
            (inner.clone(), prop::sample::subsequence(NAMES.to_vec(), 0..=2)).prop_map(
                |(a, req)| json!({"type": "object", "properties": {"a": a}, "dependentRequired": {"a": req}})
            ),
            (inner.clone(), inner.clone()).prop_map(|(a, u)| json!({
                "type": "object",
                "properties": {"a": a},
                "unevaluatedProperties": u,
            })),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({
                "allOf": [{"properties": {"a": a}}],
                "unevaluatedProperties": b,
            })),
            (inner.clone(), select(PATTERNS.to_vec())).prop_map(|(x, p)| json!({
                "type": "object",
                "patternProperties": {p: x},
            })),
            select(PATTERNS.to_vec()).prop_map(|p| json!({"type": "object", "propertyNames": {"pattern": p}})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"anyOf": [a, b]})),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| json!({"oneOf": [a, b]})),
            inner.prop_map(|a| json!({"not": a})),
        ]
    })
}

/// A rich schema, sometimes behind a `$ref` with siblings at the root (where
/// `#/$defs/...` resolves), sometimes read as draft-07 (where the 2020-12
/// keywords mean nothing, `$ref` overrides its siblings and `dependencies`
/// does what `dependentRequired` and `dependentSchemas` do), sometimes a
/// recursive tree through `$dynamicRef`, extended by an embedded resource
/// whose own anchor the root's outranks.
fn rich_root() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => plain_or_referenced_root(),
        1 => (rich_schema(), rich_schema()).prop_map(|(s, t)| json!({
            "$dynamicAnchor": "node",
            "anyOf": [s],
            "properties": {
                "c": {"type": "array", "items": {"$dynamicRef": "#node"}},
                "b": {"$ref": "ext"},
            },
            "$defs": {"ext": {
                "$id": "ext",
                "$dynamicAnchor": "node",
                "allOf": [t],
                "properties": {"c": {"items": {"$dynamicRef": "#node"}}},
            }},
        })),
    ]
}

fn plain_or_referenced_root() -> impl Strategy<Value = Value> {
    (
        rich_schema(),
        prop::option::of(rich_schema()),
        prop::option::of((rich_schema(), any::<bool>())),
    )
        .prop_map(|(s, def, draft7)| match (def, draft7) {
            (_, Some((d, as_list))) => {
                let dependency = if as_list { json!(["b"]) } else { d };
                json!({
                    "$schema": "http://json-schema.org/draft-07/schema#",
                    "dependencies": {"a": dependency},
                    "anyOf": [s],
                })
            }
            (Some(d), None) => json!({"$defs": {"d": d}, "$ref": "#/$defs/d", "anyOf": [s]}),
            (None, None) => s,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, .. ProptestConfig::default() })]
    #[test]
    fn the_model_agrees_with_the_validator(
        schema in rich_root(),
        instances in prop::collection::vec(instance(), 40),
    ) {
        let set = SchemaSet::new("file:///s.json", schema.clone()).expect("schema");
        let validator = Validator::new(&set).expect("compiles");
        for v in &instances {
            let model = model_admits(&set, v).map_err(TestCaseError::fail)?;
            if let Some(admits) = model {
                prop_assert_eq!(
                    admits,
                    validator.is_valid(v),
                    "the model says {} of {} under {}; the validator disagrees",
                    if admits { "accepts" } else { "refuses" },
                    v,
                    schema
                );
            }
        }
    }
}
