//! HTML building blocks for the UI: escaping, JSON pretty-printed with each line's JSON pointer, and a line diff.

use std::fmt::Write;
use std::sync::Arc;

use evreg_core::schema::{SchemaSet, literal_matches};
use serde_json::Value;

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` percent-encoded for a query value.
pub fn query_value(s: &str) -> String {
    evreg_core::schema::percent_encode(s, b"")
}

/// One line of pretty-printed JSON and the pointer of the value it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLine {
    pub pointer: String,
    pub text: String,
}

/// `v` pretty-printed two spaces deep, one entry per line, each line knowing
/// the JSON pointer of the value that starts on it (closing brackets carry
/// their container's).
pub fn json_lines(v: &Value) -> Vec<JsonLine> {
    schema_lines_of(v, &[])
}

/// The lines of a schema set's root document, its integers past 64 bits
/// written with the digits the set keeps (its `Value` holds only `f64`s).
pub fn schema_lines(set: &SchemaSet) -> Vec<JsonLine> {
    schema_lines_of(set.document(0), set.literals(0))
}

fn schema_lines_of(v: &Value, literals: &[(Arc<str>, Arc<str>)]) -> Vec<JsonLine> {
    let mut out = Vec::new();
    print(v, String::new(), 0, "", false, literals, &mut out);
    out
}

fn escape_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

fn print(
    v: &Value,
    pointer: String,
    depth: usize,
    key: &str,
    comma: bool,
    literals: &[(Arc<str>, Arc<str>)],
    out: &mut Vec<JsonLine>,
) {
    let pad = "  ".repeat(depth);
    let tail = if comma { "," } else { "" };
    let line = |text: String, pointer: &str, out: &mut Vec<JsonLine>| {
        out.push(JsonLine {
            pointer: pointer.to_owned(),
            text,
        })
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            line(format!("{pad}{key}{{"), &pointer, out);
            let n = m.len();
            for (i, (k, child)) in m.iter().enumerate() {
                let key = format!("{}: ", Value::String(k.clone()));
                let p = format!("{pointer}/{}", escape_token(k));
                print(child, p, depth + 1, &key, i + 1 < n, literals, out);
            }
            line(format!("{pad}}}{tail}"), &pointer, out);
        }
        Value::Array(a) if !a.is_empty() => {
            line(format!("{pad}{key}["), &pointer, out);
            let n = a.len();
            for (i, child) in a.iter().enumerate() {
                print(
                    child,
                    format!("{pointer}/{i}"),
                    depth + 1,
                    "",
                    i + 1 < n,
                    literals,
                    out,
                );
            }
            line(format!("{pad}]{tail}"), &pointer, out);
        }
        scalar => {
            let digits = literals
                .iter()
                .find(|(p, d)| **p == *pointer && literal_matches(scalar, d));
            let text = digits.map_or_else(|| scalar.to_string(), |(_, d)| d.to_string());
            line(format!("{pad}{key}{text}{tail}"), &pointer, out)
        }
    }
}

/// The first line whose pointer is `pointer` or, failing that, its nearest ancestor's.
pub fn line_of(lines: &[JsonLine], pointer: &str) -> Option<usize> {
    let mut p = pointer.trim_start_matches('#').to_owned();
    loop {
        if let Some(i) = lines.iter().position(|l| l.pointer == p) {
            return Some(i);
        }
        let cut = p.rfind('/')?;
        p.truncate(cut);
    }
}

/// One row of a side-by-side diff: the old line index, the new one, or both when equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Same(usize, usize),
    Old(usize),
    New(usize),
}

/// A line diff of `a` against `b` (longest common subsequence; past 4,000
/// lines a side, every line is shown as changed rather than spend quadratic time).
pub fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Row> {
    let (n, m) = (a.len(), b.len());
    if n > 4000 || m > 4000 {
        return (0..n).map(Row::Old).chain((0..m).map(Row::New)).collect();
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] {
                lcs[at(i + 1, j + 1)] + 1
            } else {
                lcs[at(i + 1, j)].max(lcs[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(n.max(m)));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Row::Same(i, j));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[at(i, j + 1)] >= lcs[at(i + 1, j)]) {
            out.push(Row::New(j));
            j += 1;
        } else {
            out.push(Row::Old(i));
            i += 1;
        }
    }
    out
}

/// The rows of a side-by-side view: equal lines side by side, and between
/// two equal lines the removed ones beside the added ones.
pub fn side_by_side(rows: &[Row]) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = Vec::with_capacity(rows.len());
    let (mut old, mut new): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let flush = |old: &mut Vec<usize>, new: &mut Vec<usize>, out: &mut Vec<_>| {
        for k in 0..old.len().max(new.len()) {
            out.push((old.get(k).copied(), new.get(k).copied()));
        }
        old.clear();
        new.clear();
    };
    for row in rows {
        match *row {
            Row::Same(i, j) => {
                flush(&mut old, &mut new, &mut out);
                out.push((Some(i), Some(j)));
            }
            Row::Old(i) => old.push(i),
            Row::New(j) => new.push(j),
        }
    }
    flush(&mut old, &mut new, &mut out);
    out
}

/// A pretty-printed JSON value as a `<pre>` whose lines carry their pointer
/// (`data-pointer`) and an anchor `{prefix}-{line}`, with a copy button.
pub fn json_block(v: &Value, prefix: &str) -> String {
    lines_block(&json_lines(v), prefix)
}

/// [`json_block`] of a schema set's root document, with every digit.
pub fn schema_block(set: &SchemaSet, prefix: &str) -> String {
    lines_block(&schema_lines(set), prefix)
}

fn lines_block(lines: &[JsonLine], prefix: &str) -> String {
    let mut out = String::from("<pre class=\"json\">");
    for (i, l) in lines.iter().enumerate() {
        let _ = write!(
            out,
            "<span class=\"ln\" id=\"{prefix}-{n}\" data-pointer=\"{p}\" title=\"{p}\">{t}</span>",
            n = i + 1,
            p = esc(if l.pointer.is_empty() {
                "/"
            } else {
                &l.pointer
            }),
            t = esc(&l.text)
        );
    }
    out.push_str("</pre>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_know_their_pointer() {
        let v = json!({"properties": {"a/b": {"type": "string"}, "c": []}, "required": ["x"]});
        let lines = json_lines(&v);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "{",
                "  \"properties\": {",
                "    \"a/b\": {",
                "      \"type\": \"string\"",
                "    },",
                "    \"c\": []",
                "  },",
                "  \"required\": [",
                "    \"x\"",
                "  ]",
                "}",
            ]
        );
        assert_eq!(lines[3].pointer, "/properties/a~1b/type");
        assert_eq!(line_of(&lines, "#/properties/c"), Some(5));
        assert_eq!(line_of(&lines, "/properties/zzz/type"), Some(1));
        assert_eq!(line_of(&lines, "/required/0"), Some(8));
    }

    #[test]
    fn diff_aligns_equal_lines() {
        let rows = diff_lines(&["a", "b", "c"], &["a", "x", "c", "d"]);
        assert_eq!(
            rows,
            [
                Row::Same(0, 0),
                Row::New(1),
                Row::Old(1),
                Row::Same(2, 2),
                Row::New(3)
            ]
        );
    }

    #[test]
    fn side_by_side_pairs_removed_and_added_runs() {
        let rows = diff_lines(&["a", "b", "c", "d"], &["a", "x", "y", "z", "d"]);
        assert_eq!(
            side_by_side(&rows),
            [
                (Some(0), Some(0)),
                (Some(1), Some(1)),
                (Some(2), Some(2)),
                (None, Some(3)),
                (Some(3), Some(4)),
            ]
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
