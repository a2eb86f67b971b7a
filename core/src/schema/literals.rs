//! Integer literals beyond 64 bits, read exactly from a document's text.
//!
//! serde_json (without `arbitrary_precision`, which we keep off: it breaks
//! serde's untagged and flattened types in generated code) reads such an
//! integer as the nearest `f64`, which its neighbours share. The text is the
//! only place the value survives, so loaders hand it to
//! [`SchemaSet::read_literals`](super::SchemaSet::read_literals), which keeps
//! each literal by its JSON pointer beside the parsed document.

use std::sync::Arc;

use serde_json::Value;

/// A document's integers that do not fit `i64`/`u64`: (JSON pointer, digits
/// as written, with `-` when negative and no leading zeros or `+`).
pub type Literals = Arc<[(Arc<str>, Arc<str>)]>;

/// Integers past 64 bits in a JSON text, by the pointer of the value each
/// is; empty when the text is not JSON. Cheap when there are none: only a
/// text with a run of 20 digits is walked.
pub fn big_integers(text: &str) -> Vec<(String, String)> {
    let has_long_run = text
        .as_bytes()
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() >= 20);
    if !has_long_run {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut s = Scanner {
        text: text.as_bytes(),
        at: 0,
    };
    let mut path = Vec::new();
    if s.value(&mut path, &mut out, 0).is_none() {
        return Vec::new();
    }
    out
}

/// The integer's text when `v` is a number serde_json could not hold exactly
/// and `digits` is an integer literal it may have been read from.
pub fn literal_matches(v: &Value, digits: &str) -> bool {
    let Value::Number(n) = v else { return false };
    n.as_i64().is_none()
        && n.as_u64().is_none()
        && n.as_f64()
            .is_some_and(|f| digits.parse::<f64>().is_ok_and(|g| g == f))
}

/// `v` as compact JSON text with each integer `literals` names (by pointer)
/// in all its digits, object keys sorted when `sorted`: the text to store
/// for a document, and its canonical form.
pub fn exact_text(v: &Value, literals: &[(Arc<str>, Arc<str>)], sorted: bool) -> String {
    write_json(v, sorted, &|x, at| {
        let (_, digits) = literals
            .iter()
            .find(|(p, d)| **p == *at && literal_matches(x, d))?;
        Some(digits.to_string())
    })
}

/// `v` as compact JSON text (serde_json's), object keys sorted when
/// `sorted`, with `replace(value, pointer)` written in place of any value it
/// answers for.
pub(crate) fn write_json(
    v: &Value,
    sorted: bool,
    replace: &dyn Fn(&Value, &str) -> Option<String>,
) -> String {
    fn write(
        v: &Value,
        at: &mut String,
        sorted: bool,
        replace: &dyn Fn(&Value, &str) -> Option<String>,
        out: &mut String,
    ) {
        if let Some(text) = replace(v, at) {
            out.push_str(&text);
            return;
        }
        match v {
            Value::Array(xs) => {
                out.push('[');
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    write(x, at, sorted, replace, out);
                    at.truncate(len);
                }
                out.push(']');
            }
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                if sorted {
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                }
                out.push('{');
                for (i, (k, x)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    let len = at.len();
                    at.push('/');
                    at.push_str(&super::escape_pointer(k));
                    write(x, at, sorted, replace, out);
                    at.truncate(len);
                }
                out.push('}');
            }
            _ => out.push_str(&v.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut String::new(), sorted, replace, &mut out);
    out
}

struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
}

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        while self
            .text
            .get(self.at)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// One value; `None` on anything that is not JSON (the parse that ran
    /// first already reported it) or nesting past serde_json's own limit.
    fn value(
        &mut self,
        path: &mut Vec<String>,
        out: &mut Vec<(String, String)>,
        depth: usize,
    ) -> Option<()> {
        if depth > super::MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.skip_ws();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    path.push(key);
                    self.value(path, out, depth + 1)?;
                    path.pop();
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                self.skip_ws();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(());
                }
                let mut i = 0usize;
                loop {
                    path.push(i.to_string());
                    self.value(path, out, depth + 1)?;
                    path.pop();
                    i += 1;
                    self.skip_ws();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                {
                    self.at += 1;
                }
                let token = std::str::from_utf8(&self.text[start..self.at]).ok()?;
                let integer = token.trim_start_matches('-');
                if !integer.is_empty()
                    && integer.bytes().all(|b| b.is_ascii_digit())
                    && token.parse::<i64>().is_err()
                    && token.parse::<u64>().is_err()
                {
                    let pointer: String = path
                        .iter()
                        .map(|seg| format!("/{}", super::escape_pointer(seg)))
                        .collect();
                    out.push((pointer, token.to_owned()));
                }
                Some(())
            }
            _ => {
                // true, false, null
                while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                    self.at += 1;
                }
                Some(())
            }
        }
    }

    /// A string token, decoded.
    fn string(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at;
        self.at += 1;
        loop {
            match self.peek()? {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    break;
                }
                _ => self.at += 1,
            }
        }
        let raw = std::str::from_utf8(self.text.get(start..self.at)?).ok()?;
        serde_json::from_str(raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_integers_past_64_bits_by_pointer() {
        let text = r#"{"const": 12345678910111213141516171819202122232425262728293031,
            "a~b": {"enum": [1, 18446744073709551615, -9223372036854775809, 1.5e300,
            "123456789012345678901234"]}, "x/y": [99999999999999999999]}"#;
        assert_eq!(
            big_integers(text),
            [
                (
                    "/const".to_owned(),
                    "12345678910111213141516171819202122232425262728293031".to_owned()
                ),
                ("/a~0b/enum/2".to_owned(), "-9223372036854775809".to_owned()),
                ("/x~1y/0".to_owned(), "99999999999999999999".to_owned()),
            ]
        );
        let v: Value = serde_json::from_str(text).unwrap();
        assert!(literal_matches(
            &v["const"],
            "12345678910111213141516171819202122232425262728293031"
        ));
        assert!(!literal_matches(
            &v["a~b"]["enum"][1],
            "18446744073709551615"
        ));
    }

    #[test]
    fn exact_text_writes_the_digits_back() {
        let text = r#"{"b": [1, 123456789012345678901234], "a": {"const": -99999999999999999999}}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        let lits: Vec<(Arc<str>, Arc<str>)> = big_integers(text)
            .into_iter()
            .map(|(p, d)| (p.into(), d.into()))
            .collect();
        assert_eq!(
            exact_text(&v, &lits, false),
            r#"{"b":[1,123456789012345678901234],"a":{"const":-99999999999999999999}}"#
        );
        assert_eq!(
            exact_text(&v, &lits, true),
            r#"{"a":{"const":-99999999999999999999},"b":[1,123456789012345678901234]}"#
        );
        assert_eq!(exact_text(&v, &[], false), v.to_string());
    }

    #[test]
    fn texts_without_long_digit_runs_or_not_json_give_nothing() {
        assert!(big_integers(r#"{"maximum": 18446744073709551615}"#).is_empty());
        assert!(big_integers(r#"{"const": 123456789012345678901234"#).is_empty());
        assert!(big_integers(r#"{"description": "123456789012345678901234"}"#).is_empty());
    }
}
