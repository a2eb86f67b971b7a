//! Data-driven checker tests: one `check` helper, verdicts and witnesses rendered as text and compared with `expect!` snapshots.

use expect_test::{Expect, expect};
use serde_json::{Value, json};

use super::{Mode, Policy, check, check_versions};
use crate::schema::{SchemaSet, Validator};

/// Renders a check as `verdict` plus one line per change (direction, kind, path, witness).
fn render(old: Value, new: Value, mode: Mode, policy: Policy) -> String {
    let o = SchemaSet::new("file:///s/old.json", old).expect("old loads");
    let n = SchemaSet::new("file:///s/new.json", new).expect("new loads");
    let r = check(&o, &n, mode, policy).expect("checkable");
    let mut out = r.verdict.as_str().to_owned();
    for c in &r.changes {
        out.push_str(&format!(
            "\n{:?} {} {} {}",
            c.direction,
            c.kind,
            if c.path.is_empty() { "/" } else { &c.path },
            c.witness
        ));
        // Every reported witness separates the two schemas, by the jsonschema crate.
        let (w, rd) = match c.direction {
            super::Direction::Backward => (&o, &n),
            super::Direction::Forward => (&n, &o),
        };
        let (w, rd) = match policy {
            Policy::Strict => (w.clone(), rd.clone()),
            Policy::Lenient => (w.lenient(true), rd.lenient(false)),
        };
        assert!(Validator::new(&w).expect("w").is_valid(&c.witness));
        assert!(!Validator::new(&rd).expect("r").is_valid(&c.witness));
    }
    for reason in &r.reasons {
        out.push_str(&format!("\n? {reason}"));
    }
    out
}

fn check_strict(old: Value, new: Value, want: Expect) {
    want.assert_eq(&render(old, new, Mode::Full, Policy::Strict));
}

fn check_lenient(old: Value, new: Value, want: Expect) {
    want.assert_eq(&render(old, new, Mode::Full, Policy::Lenient));
}

#[test]
fn widening_and_narrowing_types() {
    check_strict(
        json!({"type": "integer"}),
        json!({"type": "number"}),
        expect![[r#"
            incompatible
            Forward TYPE_NARROWED / 0.5"#]],
    );
    check_strict(
        json!({"type": ["string", "null"]}),
        json!({"type": "string"}),
        expect![[r#"
            incompatible
            Backward TYPE_NARROWED / null"#]],
    );
}

#[test]
fn lenient_allows_optional_fields_both_ways_but_not_type_changes() {
    let v1 = json!({"type": "object", "additionalProperties": false, "required": ["id"],
        "properties": {"id": {"type": "string"}}});
    let v2 = json!({"type": "object", "additionalProperties": false, "required": ["id"],
        "properties": {"id": {"type": "string"}, "note": {"type": "string"}}});
    check_lenient(v1.clone(), v2.clone(), expect!["compatible"]);
    check_strict(
        v1.clone(),
        v2,
        expect![[r#"
            incompatible
            Forward PROPERTY_REMOVED /note {"note":"","id":""}"#]],
    );
    let v3 = json!({"type": "object", "additionalProperties": false, "required": ["id"],
        "properties": {"id": {"type": "integer"}}});
    check_lenient(
        v1,
        v3,
        expect![[r#"
            incompatible
            Backward TYPE_NARROWED /id {"id":""}
            Forward TYPE_NARROWED /id {"id":0}"#]],
    );
}

#[test]
fn transitive_modes_catch_a_field_re_added_with_another_type() {
    let set = |v: Value| SchemaSet::new("file:///s/v.json", v).expect("loads");
    let v1 = set(
        json!({"type": "object", "properties": {"x": {"type": "string"}}, "additionalProperties": false}),
    );
    let v2 = set(json!({"type": "object", "properties": {}, "additionalProperties": false}));
    let v3 = set(
        json!({"type": "object", "properties": {"x": {"type": "integer"}}, "additionalProperties": false}),
    );
    let versions = [v1, v2, v3];
    let plain = check_versions(&versions, Mode::Full, Policy::Lenient).expect("checkable");
    assert_eq!(
        plain.verdict.as_str(),
        "compatible",
        "v3 against v2 alone is fine"
    );
    let transitive =
        check_versions(&versions, Mode::FullTransitive, Policy::Lenient).expect("checkable");
    assert_eq!(transitive.verdict.as_str(), "incompatible");
    assert!(
        transitive
            .changes
            .iter()
            .all(|c| c.against_version == Some(1))
    );
}

#[test]
fn enums_consts_and_bounds() {
    check_strict(
        json!({"enum": ["a", "b", 1]}),
        json!({"enum": ["a", 1.0]}),
        expect![[r#"
            incompatible
            Backward ENUM_NARROWED / "b""#]],
    );
    check_strict(
        json!({"type": "integer", "minimum": 0, "maximum": 10}),
        json!({"type": "integer", "exclusiveMinimum": -1, "exclusiveMaximum": 11}),
        expect!["compatible"],
    );
    check_strict(
        json!({"type": "number", "multipleOf": 0.5}),
        json!({"type": "number", "multipleOf": 1.5}),
        expect![[r#"
            incompatible
            Backward MULTIPLE_OF_CHANGED / 1"#]],
    );
}

#[test]
fn regular_expressions_are_decided_by_automata() {
    check_strict(
        json!({"type": "string", "pattern": "^[a-z]{3}$"}),
        json!({"type": "string", "pattern": "^[a-z]+$", "maxLength": 3}),
        expect![[r#"
            incompatible
            Forward PATTERN_NARROWED / "a""#]],
    );
    check_strict(
        json!({"type": "string", "pattern": "^\\d{4}-\\d{2}$"}),
        json!({"type": "string", "pattern": "^[0-9]+-[0-9]+$"}),
        expect![[r#"
            incompatible
            Forward PATTERN_NARROWED / "0-0""#]],
    );
}

#[test]
fn recursive_schemas_by_co_induction() {
    let tree = |leaf: &str| {
        json!({"$defs": {"node": {"type": "object", "properties": {
            "value": {"type": leaf},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
            "$ref": "#/$defs/node"})
    };
    check_strict(tree("integer"), tree("integer"), expect!["compatible"]);
    check_strict(
        tree("integer"),
        tree("number"),
        expect![[r#"
            incompatible
            Forward TYPE_NARROWED /children/0/value {"children":[{"value":0.5}]}
            Forward TYPE_NARROWED /value {"value":0.5}"#]],
    );
}

#[test]
fn draft_07_tuples_and_dependencies() {
    let d7 = "http://json-schema.org/draft-07/schema#";
    check_strict(
        json!({"$schema": d7, "type": "array", "items": [{"type": "string"}], "additionalItems": false}),
        json!({"$schema": d7, "type": "array", "items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false}),
        expect![[r#"
            incompatible
            Forward TYPE_NARROWED /1 ["",0]"#]],
    );
    check_strict(
        json!({"$schema": d7, "type": "object"}),
        json!({"$schema": d7, "type": "object", "dependencies": {"a": ["b"]}}),
        expect![[r#"
            incompatible
            Backward DEPENDENCY_ADDED / {"a":null}"#]],
    );
}

#[test]
fn combinators_and_negation() {
    check_strict(
        json!({"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        expect!["compatible"],
    );
    check_strict(
        json!({"type": "string", "not": {"const": "x"}}),
        json!({"type": "string"}),
        expect![[r#"
            incompatible
            Forward VALUE_EXCLUDED / "x""#]],
    );
}

#[test]
fn undecidable_constructs_are_sampled_then_answer_unknown_with_a_reason() {
    // No automaton for look-ahead, but sampling finds events that separate these two.
    check_strict(
        json!({"type": "string", "pattern": "^(?=a)"}),
        json!({"type": "string", "pattern": "^(?=b)"}),
        expect![[r#"
            incompatible
            Backward COUNTEREXAMPLE / "a"
            Forward COUNTEREXAMPLE / "b""#]],
    );
    // Neither rules nor sampling settle this pair.
    check_strict(
        json!({"type": "string", "pattern": "^(?!ab)[a-z]{2}$"}),
        json!({"type": "string", "pattern": "^(?!ba)[a-z]{2}$"}),
        expect![[r#"
            unknown
            ? BACKWARD: pattern "^(?!ab)[a-z]{2}$": look-around has no finite automaton
            ? FORWARD: pattern "^(?!ba)[a-z]{2}$": look-around has no finite automaton"#]],
    );
}

/// Regression: bounds that differ only beyond f64 precision are different
/// bounds (`u64::MAX` against `u64::MAX - 1` was called compatible).
#[test]
fn integer_bounds_beyond_f64_precision() {
    let u64_max = json!(18446744073709551615u64);
    let below = json!(18446744073709551614u64);
    let r = render(
        json!({"type": "integer", "minimum": 0, "maximum": u64_max}),
        json!({"type": "integer", "minimum": 0, "maximum": below}),
        Mode::Backward,
        Policy::Strict,
    );
    expect![[r#"
        incompatible
        Backward MAXIMUM_DECREASED / 18446744073709551615"#]]
    .assert_eq(&r);
    let r = render(
        json!({"type": "integer", "maximum": below}),
        json!({"type": "integer", "maximum": u64_max}),
        Mode::Backward,
        Policy::Strict,
    );
    assert_eq!(r, "compatible");
}

/// Regression: `1e308` is an integer and a multiple of `0.5` (the quotient
/// overflows an f64), so it is not in `not {integer, multipleOf 0.5}`.
#[test]
fn multiples_whose_quotient_overflows() {
    let r = render(
        json!({"const": 1e308}),
        json!({"not": {"type": "integer", "multipleOf": 0.5}}),
        Mode::Backward,
        Policy::Strict,
    );
    assert_ne!(r, "compatible", "{r}");
    assert!(super::number::is_multiple(1e308, 0.5));
    assert!(super::number::is_multiple(1e308, 1.0));
    assert!(
        super::number::is_multiple(0.3, 0.1),
        "decimal steps keep their tolerance"
    );
}

/// Numbers the checker must not call equal or ordered when it cannot tell
/// (issue: exact numbers): integers past 64 bits are read as f64s that
/// neighbouring integers share, so two different such `const`s are not
/// "compatible", even when the two schemas look identical once parsed.
#[test]
fn numbers_beyond_f64_precision_are_never_called_compatible() {
    let parse = |t: &str| -> Value { serde_json::from_str(t).expect("json") };
    let big = parse(r#"{"const": 12345678910111213141516171819202122232425262728293031}"#);
    let next = parse(r#"{"const": 12345678910111213141516171819202122232425262728293032}"#);
    let out = render(big.clone(), next, Mode::Backward, Policy::Strict);
    assert!(out.starts_with("unknown"), "{out}");
    assert!(out.contains("beyond the 64 bits"), "{out}");
    let out = render(big, json!({"enum": [1, 2]}), Mode::Backward, Policy::Strict);
    assert!(
        out.starts_with("incompatible"),
        "a different value is still a witness: {out}"
    );
    // Bounds past 2^53 that fit 64 bits are compared exactly.
    expect![[r#"
        incompatible
        Backward MAXIMUM_DECREASED / 18446744073709551615"#]]
    .assert_eq(&render(
        json!({"type": "integer", "minimum": 0, "maximum": 18446744073709551615u64}),
        json!({"type": "integer", "minimum": 0, "maximum": 18446744073709551614u64}),
        Mode::Backward,
        Policy::Strict,
    ));
    // 1e308 is an integer and a multiple of 0.5.
    // Bounds past 64 bits are compared by their digits within i128, and
    // past it are never called equal.
    let max = |n: &str| format!(r#"{{"type": "integer", "minimum": 0, "maximum": {n}}}"#);
    expect![[r#"
        incompatible
        Backward MAXIMUM_DECREASED / 170141183460469231731687303715884105727
          at the event: numbers above 170141183460469231731687303715884105726 are no longer accepted; the new schema rejects an event the old schema accepts; told apart by digits past 64 bits, which JSON Schema compares exactly but validators and parsers that read numbers as f64 do not"#]].assert_eq(&render_text(
        &max("170141183460469231731687303715884105727"),
        &max("170141183460469231731687303715884105726"),
        Mode::Full,
    ));
    expect![[r#"
        unknown
        ? BACKWARD: could not decide a numeric range inclusion
        ? FORWARD: could not decide a numeric range inclusion"#]]
    .assert_eq(&render_text(
        &max("340282366920938463463374607431768211455"),
        &max("340282366920938463463374607431768211454"),
        Mode::Full,
    ));
    expect![[r#"
        incompatible
        Backward ENUM_NARROWED / 1e+308"#]]
    .assert_eq(&render(
        json!({"const": 1e308}),
        json!({"not": {"type": "integer", "multipleOf": 0.5}}),
        Mode::Backward,
        Policy::Strict,
    ));
}

/// Checks two schemas given as text, so their integers past 64 bits keep
/// their digits; renders as [`render`] does, each change with its message.
fn render_text(old: &str, new: &str, mode: Mode) -> String {
    let set = |uri: &str, text: &str| {
        let mut s = SchemaSet::new(uri, serde_json::from_str(text).expect("json")).expect("loads");
        s.read_literals(0, text);
        s
    };
    let (o, n) = (
        set("file:///s/old.json", old),
        set("file:///s/new.json", new),
    );
    let r = check(&o, &n, mode, Policy::Strict).expect("checkable");
    let mut out = r.verdict.as_str().to_owned();
    for c in &r.changes {
        out.push_str(&format!(
            "\n{:?} {} {} {}\n  {}",
            c.direction,
            c.kind,
            if c.path.is_empty() { "/" } else { &c.path },
            c.witness,
            c.message
        ));
        // The JSON report spells the witness as the checker does.
        let json = serde_json::to_string(c).expect("serialises");
        assert!(
            json.contains(&format!("\"witness\":{}", c.witness)),
            "{json}"
        );
        let (w, rd) = match c.direction {
            super::Direction::Backward => (&o, &n),
            super::Direction::Forward => (&n, &o),
        };
        assert!(Validator::new(w).expect("w").is_valid(&c.witness));
        if !c.message.contains("digits past 64 bits") {
            assert!(!Validator::new(rd).expect("r").is_valid(&c.witness));
        }
    }
    for reason in &r.reasons {
        out.push_str(&format!("\n? {reason}"));
    }
    out
}

/// Read from text, integers past 64 bits are compared by their digits, and
/// a witness is the integer itself, not its nearest `f64`.
#[test]
fn integers_past_64_bits_keep_their_digits() {
    const BIG: &str = "12345678910111213141516171819202122232425262728293031";
    const NEXT: &str = "12345678910111213141516171819202122232425262728293032";
    let konst = |n: &str| format!(r#"{{"const": {n}}}"#);
    expect![[r#"
        incompatible
        Backward ENUM_NARROWED / 12345678910111213141516171819202122232425262728293031
          at the event: the value 12345678910111213141516171819202122232425262728293031 is no longer accepted; the new schema rejects an event the old schema accepts; told apart by digits past 64 bits, which JSON Schema compares exactly but validators and parsers that read numbers as f64 do not"#]]
    .assert_eq(&render_text(&konst(BIG), &konst(NEXT), Mode::Backward));
    assert_eq!(
        render_text(&konst(BIG), &konst(BIG), Mode::Full),
        "compatible"
    );
    expect![[r#"
        incompatible
        Backward TYPE_NARROWED / 12345678910111213141516171819202122232425262728293031
          at the event: integer values are no longer accepted; the new schema rejects an event the old schema accepts"#]]
    .assert_eq(&render_text(&konst(BIG), r#"{"type": "string"}"#, Mode::Backward));
    // Within the reader's enum, nested, against bounds and integer multiples.
    let nested = |n: &str| {
        format!(r#"{{"type": "object", "properties": {{"id": {{"enum": ["x", {n}]}}}}}}"#)
    };
    assert_eq!(
        render_text(&nested(BIG), &nested(BIG), Mode::Full),
        "compatible"
    );
    expect![[r#"
        incompatible
        Backward ENUM_NARROWED /id {"id":12345678910111213141516171819202122232425262728293031}
          at /id: the value 12345678910111213141516171819202122232425262728293031 is no longer accepted; the new schema rejects an event the old schema accepts; told apart by digits past 64 bits, which JSON Schema compares exactly but validators and parsers that read numbers as f64 do not"#]]
    .assert_eq(&render_text(&nested(BIG), &nested(NEXT), Mode::Backward));
    assert_eq!(
        render_text(
            &konst(BIG),
            r#"{"type": "integer", "minimum": 1e52, "multipleOf": 1}"#,
            Mode::Backward
        ),
        "compatible"
    );
    // Its complement holds every other value, objects included.
    expect![[r#"
        incompatible
        Backward TYPE_NARROWED / {}
          at the event: object values are no longer accepted; the new schema rejects an event the old schema accepts"#]].assert_eq(&render_text(
        &format!(r#"{{"not": {}}}"#, konst(BIG)),
        r#"{"not": {"type": "object"}}"#,
        Mode::Backward,
    ));
    // BIG is 1 modulo 3 and 5 modulo 7.
    assert!(
        render_text(
            &konst(BIG),
            r#"{"type": "integer", "multipleOf": 7}"#,
            Mode::Backward
        )
        .starts_with("incompatible")
    );
    expect![[r#"
        incompatible
        Backward ENUM_NARROWED / 12345678910111213141516171819202122232425262728293031
          at the event: the value 12345678910111213141516171819202122232425262728293031 is no longer accepted; the new schema rejects an event the old schema accepts"#]]
    .assert_eq(&render_text(&konst(BIG), r#"{"multipleOf": 3}"#, Mode::Backward));
}

/// `$dynamicRef` lands where it must whatever the path to it: on the root
/// resource's anchor (the outermost dynamic scope), or on its static target
/// when no other resource declares the anchor.
#[test]
fn dynamic_references_land_on_the_outermost_anchor() {
    let tree = |extra: Value| {
        let mut t = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$dynamicAnchor": "node",
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}},
        });
        t.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        t
    };
    expect!["compatible"].assert_eq(&render(
        tree(json!({})),
        tree(json!({})),
        Mode::Full,
        Policy::Strict,
    ));
    expect![[r#"
        incompatible
        Backward REQUIRED_PROPERTY_ADDED /id {}
        Backward REQUIRED_PROPERTY_ADDED /children/0/id {"children":[{}]}"#]]
    .assert_eq(&render(
        tree(json!({})),
        tree(json!({"required": ["id"]})),
        Mode::Backward,
        Policy::Strict,
    ));
    // The classic extension: the root resource's anchor wins over the referenced tree's.
    let extended = |root: Value| {
        let mut set = SchemaSet::new("https://example.com/strict-tree", root).expect("root");
        set.add(
            "https://example.com/tree",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://example.com/tree",
                "$dynamicAnchor": "node",
                "type": "object",
                "properties": {"data": true, "children": {"type": "array", "items": {"$dynamicRef": "#node"}}},
            }),
        )
        .expect("tree");
        set
    };
    let strict = extended(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/strict-tree",
        "$dynamicAnchor": "node",
        "$ref": "tree",
        "required": ["data"],
    }));
    let open = extended(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://example.com/strict-tree",
        "$dynamicAnchor": "node",
        "$ref": "tree",
    }));
    let r = check(&open, &strict, Mode::Backward, Policy::Strict).expect("checkable");
    assert_eq!(r.verdict, super::Verdict::Incompatible, "{:?}", r.reasons);
    let strict_v = Validator::new(&strict).expect("validator");
    assert!(
        r.changes
            .iter()
            .any(|c| c.witness.get("children").is_some() && !strict_v.is_valid(&c.witness))
    );
    let r = check(&strict, &open, Mode::Backward, Policy::Strict).expect("checkable");
    assert_eq!(r.verdict, super::Verdict::Compatible, "{:?}", r.reasons);
    // Two resources declare the anchor and the root none: the path decides,
    // and an undecided check names the approximation.
    let two = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {
            "x": {"$id": "x", "$dynamicAnchor": "n", "type": "object"},
            "y": {"$id": "y", "$dynamicAnchor": "n", "type": "object", "properties": {"k": {"$dynamicRef": "#n"}}},
        },
        "properties": {"a": {"$ref": "y"}},
    });
    expect![[r#"
        unknown
        ? BACKWARD: no candidate witness survived re-validation; the model approximates here: $dynamicRef at /$defs/y/properties/k may land on more than one schema"#]].assert_eq(&render(two.clone(), two, Mode::Backward, Policy::Strict));
}

/// Ten `if`s discriminated by one property's value: the combinations that
/// cannot hold are dropped as they appear, so the check stays decided
/// (1,024 combinations would pass the normal form's limit).
#[test]
fn discriminated_conditionals_stay_decided() {
    let schema = |changed: &str| {
        let branches: Vec<Value> = (0..10)
            .map(|k| {
                let t = if k == 3 { changed } else { "integer" };
                json!({
                    "if": {"properties": {"kind": {"const": format!("k{k}")}}},
                    "then": {"properties": {"v": {"type": t}}},
                })
            })
            .collect();
        json!({"type": "object", "required": ["kind"], "allOf": branches})
    };
    expect![[r#"
        incompatible
        Backward TYPE_NARROWED /v {"v":0,"kind":"k3"}"#]]
    .assert_eq(&render(
        schema("integer"),
        schema("string"),
        Mode::Backward,
        Policy::Strict,
    ));
    expect!["compatible"].assert_eq(&render(
        schema("integer"),
        schema("number"),
        Mode::Backward,
        Policy::Strict,
    ));
}

/// A schema includes itself, even where the model only approximates its
/// keywords ($dynamicRef here); unless a literal lost digits in parsing.
#[test]
fn a_schema_is_compatible_with_itself() {
    let set = SchemaSet::new(
        "file:///s/tree.json",
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$dynamicAnchor": "node",
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}},
        }),
    )
    .expect("loads");
    let r = check(&set, &set, Mode::FullTransitive, Policy::Strict).expect("checkable");
    assert_eq!(r.verdict, super::Verdict::Compatible, "{:?}", r.reasons);
    let big: Value =
        serde_json::from_str(r#"{"const": 12345678910111213141516171819202122232425262728293031}"#)
            .expect("json");
    let set = SchemaSet::new("file:///s/big.json", big).expect("loads");
    let r = check(&set, &set, Mode::Full, Policy::Strict).expect("checkable");
    assert_eq!(r.verdict, super::Verdict::Unknown);
}
