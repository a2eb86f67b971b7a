//! Routing keys and binding patterns with RabbitMQ topic-exchange semantics; never allocates per match.
//!
//! A routing key names an event (`auth.user.created`) and is a registry subject.
//! Matching follows RabbitMQ exactly: a key or pattern is split on `.` into
//! words (empty words are words; the empty string has no words), `*` matches
//! exactly one word and `#` zero or more.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest routing key AMQP 0-9-1 allows (a short string).
pub const MAX_ROUTING_KEY_BYTES: usize = 255;

/// The most `#` words a binding key may have on RabbitMQ 4.3.5 and later.
pub const MAX_HASH_WORDS: usize = 2;

/// Why a routing key or binding pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("routing key must not be empty")]
    Empty,
    #[error("routing key is {0} bytes long; at most 255 are allowed")]
    TooLong(usize),
    #[error(
        "routing key word {index} ({word:?}) must be lower-case letters, digits or `_`, and not empty"
    )]
    BadWord { index: usize, word: String },
    #[error("binding pattern is {0} bytes long; at most 255 are allowed")]
    PatternTooLong(usize),
}

/// A routing key of the form `{service}.{entity}.{action}`: dot-separated
/// words of `[a-z0-9_]`, at most 255 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoutingKey(String);

impl RoutingKey {
    /// Validates `key` as evreg's routing-key syntax.
    pub fn new(key: &str) -> Result<Self, RoutingError> {
        if key.is_empty() {
            return Err(RoutingError::Empty);
        }
        if key.len() > MAX_ROUTING_KEY_BYTES {
            return Err(RoutingError::TooLong(key.len()));
        }
        for (index, word) in key.split('.').enumerate() {
            let ok = !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(RoutingError::BadWord {
                    index,
                    word: word.to_owned(),
                });
            }
        }
        Ok(RoutingKey(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first word: the service that owns the event by convention.
    pub fn service(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }

    /// The words of the key.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }
}

impl fmt::Display for RoutingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RoutingKey {
    type Err = RoutingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RoutingKey::new(s)
    }
}

impl Serialize for RoutingKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RoutingKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RoutingKey::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A topic-exchange binding pattern such as `auth.#` or `auth.user.*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BindingPattern(String);

/// One word of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternWord<'a> {
    Star,
    Hash,
    Literal(&'a str),
}

impl BindingPattern {
    /// Accepts what every RabbitMQ accepts as a topic binding key: anything of
    /// at most 255 bytes. RabbitMQ 4.3.5 and later also refuse more than two
    /// `#` words; older brokers take them, so that is a warning of the
    /// topology file's (see [`BindingPattern::hash_words`]), not a refusal here.
    pub fn new(pattern: &str) -> Result<Self, RoutingError> {
        if pattern.len() > MAX_ROUTING_KEY_BYTES {
            return Err(RoutingError::PatternTooLong(pattern.len()));
        }
        Ok(BindingPattern(pattern.to_owned()))
    }

    /// How many `#` words the pattern has; RabbitMQ 4.3.5 and later refuse more than [`MAX_HASH_WORDS`].
    pub fn hash_words(&self) -> usize {
        words(&self.0).filter(|w| *w == "#").count()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a message published with `key` is routed through this binding.
    pub fn matches(&self, key: &str) -> bool {
        topic_match(&self.0, key)
    }

    /// Whether this pattern matches the routing key.
    pub fn matches_key(&self, key: &RoutingKey) -> bool {
        self.matches(key.as_str())
    }
}

impl fmt::Display for BindingPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BindingPattern {
    type Err = RoutingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BindingPattern::new(s)
    }
}

impl Serialize for BindingPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for BindingPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BindingPattern::new(&s).map_err(serde::de::Error::custom)
    }
}

/// RabbitMQ splits `""` into no words and everything else on every `.`.
fn words(s: &str) -> impl Iterator<Item = &str> + Clone {
    let empty = s.is_empty();
    s.split('.').filter(move |_| !empty)
}

/// Raw RabbitMQ topic matching of `pattern` against `key`, both as sent on the wire.
///
/// Iterative with one back-tracking point, the classic wildcard algorithm:
/// linear in practice and never recursive, whatever the input.
pub fn topic_match(pattern: &str, key: &str) -> bool {
    let pat: Vec<PatternWord<'_>> = words(pattern)
        .map(|w| match w {
            "*" => PatternWord::Star,
            "#" => PatternWord::Hash,
            other => PatternWord::Literal(other),
        })
        .collect();
    let key: Vec<&str> = words(key).collect();
    let (mut p, mut k) = (0usize, 0usize);
    // Position after the last `#` seen, and the key position it was tried at.
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                PatternWord::Hash => {
                    backtrack = Some((p + 1, k));
                    p += 1;
                    continue;
                }
                PatternWord::Star if k < key.len() => {
                    p += 1;
                    k += 1;
                    continue;
                }
                PatternWord::Literal(w) if k < key.len() && key[k] == w => {
                    p += 1;
                    k += 1;
                    continue;
                }
                _ => {}
            }
        } else if k == key.len() {
            return true;
        }
        // Mismatch: let the last `#` absorb one more word, if it can.
        match backtrack {
            Some((bp, bk)) if bk < key.len() => {
                backtrack = Some((bp, bk + 1));
                p = bp;
                k = bk + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_key_syntax() {
        assert!(RoutingKey::new("auth.user.created").is_ok());
        assert!(RoutingKey::new("auth.role.permissions_changed").is_ok());
        assert_eq!(RoutingKey::new(""), Err(RoutingError::Empty));
        assert!(matches!(
            RoutingKey::new("auth..created"),
            Err(RoutingError::BadWord { index: 1, .. })
        ));
        assert!(matches!(
            RoutingKey::new("Auth.user"),
            Err(RoutingError::BadWord { index: 0, .. })
        ));
        assert!(matches!(
            RoutingKey::new("auth.*.created"),
            Err(RoutingError::BadWord { index: 1, .. })
        ));
        let long = format!("a.{}", "b".repeat(254));
        assert_eq!(RoutingKey::new(&long), Err(RoutingError::TooLong(256)));
        assert_eq!(
            RoutingKey::new("auth.user.created").map(|k| k.service().to_owned()),
            Ok("auth".to_owned())
        );
    }

    #[test]
    fn topic_semantics() {
        let cases = [
            ("auth.#", "auth.user.created", true),
            ("auth.#", "auth", true),
            ("auth.user.*", "auth.user.created", true),
            ("auth.user.*", "auth.user", false),
            ("#", "", true),
            ("*", "", false),
            ("a.*.b", "a..b", true),
            ("#.#.b", "a.b", true),
            ("a.#.#", "a", true),
            ("#.a.#.b", "x.a.y.z.b", true),
            ("#.a.#.b", "x.a.y.z.c", false),
        ];
        for (pattern, key, want) in cases {
            assert_eq!(topic_match(pattern, key), want, "{pattern} ~ {key}");
        }
    }

    #[test]
    fn binding_validation() {
        assert!(BindingPattern::new("#.a.#").is_ok());
        assert!(BindingPattern::new("##.##.##").is_ok());
        let three = BindingPattern::new("#.#.#").expect("older brokers accept three `#`");
        assert_eq!(three.hash_words(), 3);
        assert!(three.matches("a.b.c") && three.matches(""));
        assert_eq!(
            BindingPattern::new(&"a".repeat(256)),
            Err(RoutingError::PatternTooLong(256))
        );
    }
}
