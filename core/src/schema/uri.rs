//! URIs as JSON Schema uses them: RFC 3986 resolution (the `referencing` crate's, which the validator uses too), base-URI keywords per dialect, JSON-pointer fragments, and the standard metaschemas known offline.
//!
//! Pure: nothing here fetches anything; the metaschemas are compiled into the binary.

use serde_json::{Map, Value};

use super::Dialect;

/// `reference` resolved against `base` (RFC 3986 §5, normalised), exactly as
/// the `jsonschema` validator resolves it. The base's fragment takes no part.
pub fn try_resolve_uri(base: &str, reference: &str) -> Result<String, String> {
    let base = referencing::uri::from_str(strip_fragment(base)).map_err(|e| e.to_string())?;
    referencing::uri::resolve_against(&base.borrow(), reference)
        .map(|u| u.as_str().to_owned())
        .map_err(|e| e.to_string())
}

/// A reference resolved as the validator resolves it: the document part
/// (before the last `#`) against `base`, the fragment kept as written (JSON
/// pointers in real schemas hold characters a strict URI parser refuses,
/// like `<` in `#/definitions/Option<T>`). Returns (absolute document URI,
/// fragment).
pub fn resolve_reference<'r>(base: &str, reference: &'r str) -> Result<(String, &'r str), String> {
    let (document, fragment) = reference.rsplit_once('#').unwrap_or((reference, ""));
    let absolute = if document.is_empty() {
        normalize_uri(base)
    } else {
        try_resolve_uri(base, document)?
    };
    Ok((absolute, fragment))
}

/// [`try_resolve_uri`], keeping `reference` as it is when it cannot be
/// resolved (an invalid URI then names no document, and the lookup that
/// follows reports it with its place).
pub fn resolve_uri(base: &str, reference: &str) -> String {
    try_resolve_uri(base, reference).unwrap_or_else(|_| reference.to_owned())
}

/// A URI in the normal form the index keys use (no fragment).
pub fn normalize_uri(uri: &str) -> String {
    match referencing::uri::from_str(strip_fragment(uri)) {
        Ok(u) => u.as_str().to_owned(),
        Err(_) => strip_fragment(uri).to_owned(),
    }
}

pub fn strip_fragment(uri: &str) -> &str {
    uri.split('#').next().unwrap_or(uri)
}

/// The base-URI-changing identifier of a schema object under its dialect:
/// `id` in draft-04, `$id` later; ignored beside `$ref` up to draft-07
/// (where `$ref` overrides its siblings); a fragment-only identifier is a
/// plain-name anchor, not a base.
pub fn base_id(obj: &Map<String, Value>, dialect: Dialect) -> Option<&str> {
    let id = id_keyword(obj, dialect)?;
    (!id.starts_with('#')).then_some(id)
}

/// The identifier keyword's value as written (anchors included).
fn id_keyword(obj: &Map<String, Value>, dialect: Dialect) -> Option<&str> {
    if dialect.ref_overrides_siblings() && obj.contains_key("$ref") {
        return None;
    }
    let key = if dialect == Dialect::Draft4 {
        "id"
    } else {
        "$id"
    };
    obj.get(key).and_then(Value::as_str)
}

/// Plain-name anchors a schema object declares: `$anchor` and
/// `$dynamicAnchor` (2019-09 and later), or an `$id`/`id` of the form `#name`
/// (draft-07 and earlier).
pub fn anchors(obj: &Map<String, Value>, dialect: Dialect) -> Vec<&str> {
    let mut out = Vec::new();
    match dialect {
        Dialect::Draft4 | Dialect::Draft6 | Dialect::Draft7 => {
            if let Some(a) = id_keyword(obj, dialect).and_then(|id| id.strip_prefix('#'))
                && !a.is_empty()
            {
                out.push(a);
            }
        }
        Dialect::Draft201909 | Dialect::Draft202012 => {
            for kw in ["$anchor", "$dynamicAnchor"] {
                if let Some(a) = obj.get(kw).and_then(Value::as_str) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// The standard metaschemas (and the 2019-09/2020-12 vocabulary
/// metaschemas), by URI, with or without a trailing `#`, over http or https.
pub fn known_document(uri: &str) -> Option<&'static Value> {
    use referencing::meta::*;
    let u = strip_fragment(uri);
    let u = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))?;
    let rest = u.strip_prefix("json-schema.org/")?;
    Some(match rest {
        "draft-04/schema" => &DRAFT4,
        "draft-06/schema" => &DRAFT6,
        "draft-07/schema" => &DRAFT7,
        "draft/2019-09/schema" => &DRAFT201909,
        "draft/2019-09/meta/applicator" => &DRAFT201909_APPLICATOR,
        "draft/2019-09/meta/content" => &DRAFT201909_CONTENT,
        "draft/2019-09/meta/core" => &DRAFT201909_CORE,
        "draft/2019-09/meta/format" => &DRAFT201909_FORMAT,
        "draft/2019-09/meta/meta-data" => &DRAFT201909_META_DATA,
        "draft/2019-09/meta/validation" => &DRAFT201909_VALIDATION,
        "draft/2020-12/schema" => &DRAFT202012,
        "draft/2020-12/meta/core" => &DRAFT202012_CORE,
        "draft/2020-12/meta/applicator" => &DRAFT202012_APPLICATOR,
        "draft/2020-12/meta/unevaluated" => &DRAFT202012_UNEVALUATED,
        "draft/2020-12/meta/validation" => &DRAFT202012_VALIDATION,
        "draft/2020-12/meta/meta-data" => &DRAFT202012_META_DATA,
        "draft/2020-12/meta/format-annotation" => &DRAFT202012_FORMAT_ANNOTATION,
        "draft/2020-12/meta/format-assertion" => &DRAFT202012_FORMAT_ASSERTION,
        "draft/2020-12/meta/content" => &DRAFT202012_CONTENT,
        _ => return None,
    })
}

/// Whether a URI names one of the [`known_document`]s.
pub fn is_known_document(uri: &str) -> bool {
    known_document(uri).is_some()
}

/// Escapes one JSON pointer segment (RFC 6901).
pub fn escape_pointer(seg: &str) -> String {
    if seg.contains(['~', '/']) {
        seg.replace('~', "~0").replace('/', "~1")
    } else {
        seg.to_owned()
    }
}

pub(crate) fn unescape_pointer(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

/// Decodes `%XX` escapes (a URI fragment holding a JSON pointer, a `file:` path).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a file path for a `file:` URI: every byte but unreserved
/// characters, `/` and the sub-delimiters RFC 3986 allows in a path.
pub fn encode_path(path: &str) -> String {
    percent_encode(path, b"/!$&'()*+,;=:@")
}

/// Percent-encodes every byte of `s` but RFC 3986's unreserved characters
/// and those in `keep`.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_follows_rfc3986() {
        let cases = [
            (
                "file:///s/auth.user.created/v1.json",
                "../common/money.json#/$defs/m",
                "file:///s/common/money.json#/$defs/m",
            ),
            ("file:///s/a.json", "#/x", "file:///s/a.json#/x"),
            ("file:///s/a.json", "b.json", "file:///s/b.json"),
            ("http://e.com/a/b.json", "/c.json", "http://e.com/c.json"),
            ("urn:x", "urn:y#/a", "urn:y#/a"),
            ("urn:x", "#/a", "urn:x#/a"),
            (
                "https://example.org/1.0/schema/message",
                "links/array",
                "https://example.org/1.0/schema/links/array",
            ),
            ("http://e.com/a/b/", "../c", "http://e.com/a/c"),
            ("HTTP://E.COM/a", "b", "http://e.com/b"),
        ];
        for (base, r, want) in cases {
            assert_eq!(resolve_uri(base, r), want, "{r} against {base}");
        }
    }

    #[test]
    fn metaschemas_are_known_by_every_spelling() {
        for u in [
            "http://json-schema.org/draft-07/schema#",
            "https://json-schema.org/draft-07/schema",
            "https://json-schema.org/draft/2020-12/schema",
            "https://json-schema.org/draft/2020-12/meta/applicator",
            "http://json-schema.org/draft-04/schema",
        ] {
            assert!(is_known_document(u), "{u}");
        }
        assert!(!is_known_document(
            "https://json-schema.org/draft/2020-12/nope"
        ));
    }

    #[test]
    fn ids_follow_the_dialect() {
        let o = |v: Value| v.as_object().cloned().expect("object");
        let d4 = o(serde_json::json!({"id": "a.json", "$id": "b.json"}));
        assert_eq!(base_id(&d4, Dialect::Draft4), Some("a.json"));
        assert_eq!(base_id(&d4, Dialect::Draft7), Some("b.json"));
        let with_ref = o(serde_json::json!({"$id": "b.json", "$ref": "c.json"}));
        assert_eq!(base_id(&with_ref, Dialect::Draft7), None);
        assert_eq!(base_id(&with_ref, Dialect::Draft202012), Some("b.json"));
        let anchor = o(serde_json::json!({"$id": "#foo"}));
        assert_eq!(base_id(&anchor, Dialect::Draft7), None);
        assert_eq!(anchors(&anchor, Dialect::Draft7), ["foo"]);
        assert!(anchors(&anchor, Dialect::Draft202012).is_empty());
    }
}
