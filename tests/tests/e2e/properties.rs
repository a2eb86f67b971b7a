//! Randomized soundness: random schema pairs over the supported fragment; every verdict is checked against sampled instances.
//!
//! For `compatible`, every sampled instance valid under the old schema must
//! be valid under the new one; for `incompatible`, each witness must be
//! valid under the old schema and invalid under the new one, by the
//! `jsonschema` crate directly.

use evreg_core::{Mode, Policy, SchemaSet, Verdict, check};
use proptest::prelude::*;
use serde_json::{Value, json};

/// SplitMix64: a small deterministic generator driven by proptest's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn coin(&mut self) -> bool {
        self.below(2) == 0
    }
}

const NAMES: [&str; 3] = ["a", "b", "c"];
const STRINGS: [&str; 7] = ["", "a", "b", "ab", "ba", "c", "aaa"];
const PATTERNS: [&str; 5] = ["^a", "b$", "^[ab]+$", "c", "^.{2}$"];

fn scalar(r: &mut Rng) -> Value {
    match r.below(6) {
        0 => Value::Null,
        1 => json!(r.coin()),
        2 => json!(r.below(5) as i64 - 2),
        3 => json!(*r.pick(&[0.5, 1.5, -0.5, 2.0])),
        _ => json!(*r.pick(&STRINGS)),
    }
}

fn schema(r: &mut Rng, depth: u32) -> Value {
    let leaf = depth == 0;
    match r.below(if leaf { 7 } else { 13 }) {
        0 => json!({"type": r.pick(&["null", "boolean", "integer", "number", "string"])}),
        1 => {
            json!({"type": r.pick(&["integer", "number"]), "minimum": r.below(4) as i64 - 2, "maximum": r.below(4) as i64})
        }
        2 => json!({"type": "string", "minLength": r.below(3), "maxLength": 1 + r.below(3)}),
        3 => json!({"type": "string", "pattern": r.pick(&PATTERNS)}),
        4 => json!({"enum": (0..1 + r.below(3)).map(|_| scalar(r)).collect::<Vec<_>>()}),
        5 => json!({"const": scalar(r)}),
        6 => json!(r.coin()),
        7 => {
            let mut s = json!({"type": "array", "items": schema(r, depth - 1)});
            if r.coin() {
                s["maxItems"] = json!(r.below(3));
            }
            if r.coin() {
                s["minItems"] = json!(r.below(2));
            }
            if r.below(4) == 0 {
                s["uniqueItems"] = json!(true);
            }
            s
        }
        8 => {
            let mut props = serde_json::Map::new();
            for n in NAMES.iter().take(1 + r.below(3) as usize) {
                props.insert((*n).to_owned(), schema(r, depth - 1));
            }
            let required: Vec<&str> = NAMES.iter().copied().filter(|_| r.below(3) == 0).collect();
            let mut s = json!({"type": "object", "properties": props, "required": required});
            match r.below(3) {
                0 => s["additionalProperties"] = json!(false),
                1 => s["additionalProperties"] = schema(r, depth - 1),
                _ => {}
            }
            s
        }
        9 => json!({"anyOf": [schema(r, depth - 1), schema(r, depth - 1)]}),
        10 => json!({"allOf": [schema(r, depth - 1), schema(r, depth - 1)]}),
        11 => json!({"oneOf": [schema(r, depth - 1), schema(r, depth - 1)]}),
        _ => json!({"not": schema(r, depth - 1)}),
    }
}

fn instance(r: &mut Rng, depth: u32) -> Value {
    match r.below(if depth == 0 { 5 } else { 7 }) {
        5 => Value::Array((0..r.below(4)).map(|_| instance(r, depth - 1)).collect()),
        6 => {
            let mut m = serde_json::Map::new();
            for n in NAMES {
                if r.coin() {
                    m.insert(n.to_owned(), instance(r, depth - 1));
                }
            }
            Value::Object(m)
        }
        _ => scalar(r),
    }
}

fn valid(schema: &Value, v: &Value) -> bool {
    match schema {
        Value::Bool(b) => *b,
        _ => jsonschema::validator_for(schema)
            .expect("generated schemas are valid")
            .is_valid(v),
    }
}

fn check_pair(seed: u64) -> Result<(), TestCaseError> {
    let mut r = Rng(seed);
    let old = schema(&mut r, 2);
    // Half the time the new schema is a small edit of the old one, so compatible pairs occur often.
    let new = if r.coin() {
        schema(&mut r, 2)
    } else {
        json!({"anyOf": [old.clone(), schema(&mut r, 1)]})
    };
    let old_set = SchemaSet::new("file:///old.json", old.clone()).expect("old");
    let new_set = SchemaSet::new("file:///new.json", new.clone()).expect("new");
    let report = check(&old_set, &new_set, Mode::Backward, Policy::Strict).expect("checkable");
    match report.verdict {
        Verdict::Compatible => {
            for _ in 0..300 {
                let v = instance(&mut r, 2);
                if valid(&old, &v) {
                    prop_assert!(
                        valid(&new, &v),
                        "compatible, yet {v} is valid under old {old} and not under new {new}"
                    );
                }
            }
        }
        Verdict::Incompatible => {
            prop_assert!(!report.changes.is_empty());
            for c in &report.changes {
                prop_assert!(
                    valid(&old, &c.witness) && !valid(&new, &c.witness),
                    "witness {} does not separate {old} from {new}",
                    c.witness
                );
            }
        }
        Verdict::Unknown => prop_assert!(!report.reasons.is_empty(), "an unknown verdict says why"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]
    #[test]
    fn verdicts_are_sound(seed in any::<u64>()) {
        check_pair(seed)?;
    }
}
