//! String languages: ECMA-262 patterns compiled to DFAs, and a bounded product search for a string in one language and outside others.
//!
//! The search is exact: when it finds nothing within its budget it has
//! explored every reachable product state, so "no string" is a proof. When
//! the budget runs out it says so, and the caller answers `unknown`.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use super::string::StrSpec;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::primitives::StateID;
use regex_automata::util::{start, syntax};
use regex_automata::{Anchored, MatchKind};

type Dfa = dense::DFA<Vec<u32>>;

/// Product states explored before a search gives up.
const SEARCH_BUDGET: usize = 200_000;
/// Bytes a compiled DFA may take.
const DFA_LIMIT: usize = 8 << 20;

/// What a search concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    Found(String),
    /// Proven: no string satisfies the request.
    Empty,
    /// Could not decide (unsupported regex feature or budget), with the reason.
    GaveUp(String),
}

/// Compiled patterns. Compiling a DFA costs far more than a whole check, so
/// compiled automata are memoised per thread across checks (bounded).
#[derive(Debug, Default)]
pub(crate) struct Patterns;

/// Distinct patterns kept compiled per thread before the memo is emptied.
const MEMO_LIMIT: usize = 4_096;

thread_local! {
    static COMPILED: std::cell::RefCell<HashMap<String, Result<Rc<Dfa>, String>>> =
        std::cell::RefCell::new(HashMap::new());
}

/// The DFA of a whole regex-syntax pattern, memoised.
fn compiled(key: &str, make: impl FnOnce() -> Result<Dfa, String>) -> Result<Rc<Dfa>, String> {
    if let Some(d) = COMPILED.with(|c| c.borrow().get(key).cloned()) {
        return d;
    }
    let built = make().map(Rc::new);
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MEMO_LIMIT {
            c.clear();
        }
        c.insert(key.to_owned(), built.clone());
    });
    built
}

/// Translates an ECMA-262 pattern to `regex-syntax`, with ECMA's meaning of
/// `\d \w \s \b .` (ASCII digits and word characters, ECMA white space, a dot
/// that excludes line terminators).
pub(crate) fn translate(ecma: &str) -> Result<String, String> {
    const SPACE: &str = r"\t\n\x0B\x0C\r \u{A0}\u{1680}\u{2000}-\u{200A}\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}\u{FEFF}";
    let mut out = String::with_capacity(ecma.len() + 16);
    let mut chars = ecma.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err("pattern ends with a lone backslash".to_owned());
                };
                let piece = match (e, in_class) {
                    ('d', false) => "[0-9]".to_owned(),
                    ('d', true) => "0-9".to_owned(),
                    ('D', _) => "[^0-9]".to_owned(),
                    ('w', false) => "[0-9A-Za-z_]".to_owned(),
                    ('w', true) => "0-9A-Za-z_".to_owned(),
                    ('W', _) => "[^0-9A-Za-z_]".to_owned(),
                    ('s', false) => format!("[{SPACE}]"),
                    ('s', true) => SPACE.to_owned(),
                    ('S', _) => format!("[^{SPACE}]"),
                    ('b', false) => r"(?-u:\b)".to_owned(),
                    ('B', false) => r"(?-u:\B)".to_owned(),
                    ('b', true) => r"\x08".to_owned(),
                    ('u', _) => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if hex.len() != 4 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(format!("bad \\u escape \\u{hex}"));
                        }
                        format!(r"\u{{{hex}}}")
                    }
                    ('c', _) => {
                        let Some(l) = chars.next().filter(char::is_ascii_alphabetic) else {
                            return Err("bad \\c escape".to_owned());
                        };
                        format!(r"\x{:02X}", (l as u8) % 32)
                    }
                    ('0', _) => r"\x00".to_owned(),
                    (d, _) if d.is_ascii_digit() => {
                        return Err("back-references have no finite automaton".to_owned());
                    }
                    // Unicode properties (`\p{L}`, `\P{Script=Greek}`): the same syntax in both.
                    ('p' | 'P', _) if chars.peek() == Some(&'{') => {
                        let mut piece = format!("\\{e}");
                        for r in chars.by_ref() {
                            piece.push(r);
                            if r == '}' {
                                break;
                            }
                        }
                        piece
                    }
                    ('/', _) => "/".to_owned(),
                    ('-', true) => r"\-".to_owned(),
                    (other, _) => format!("\\{other}"),
                };
                out.push_str(&piece);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    // ECMA `[]` matches nothing and `[^]` anything.
                    chars.next();
                    in_class = false;
                    if out.ends_with("[^") {
                        out.truncate(out.len() - 2);
                        out.push_str(r"(?s:.)");
                    } else {
                        out.truncate(out.len() - 1);
                        out.push_str(r"[^\x00-\x{10FFFF}]");
                    }
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str(r"[^\n\r\u{2028}\u{2029}]"),
            '(' if !in_class && chars.peek() == Some(&'?') => {
                let mut look = chars.clone();
                look.next();
                match look.next() {
                    Some('=') | Some('!') => {
                        return Err("look-around has no finite automaton".to_owned());
                    }
                    Some('<') if matches!(look.next(), Some('=') | Some('!')) => {
                        return Err("look-around has no finite automaton".to_owned());
                    }
                    _ => out.push('('),
                }
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => {
                if looks_like_repetition(chars.clone()) {
                    out.push('{');
                    for r in chars.by_ref() {
                        out.push(r);
                        if r == '}' {
                            break;
                        }
                    }
                } else {
                    out.push_str(r"\{");
                }
            }
            '}' if !in_class => out.push_str(r"\}"),
            other => out.push(other),
        }
    }
    Ok(out)
}

fn looks_like_repetition(rest: std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest {
        match c {
            '0'..='9' => digits += 1,
            ',' if !comma && digits > 0 => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

impl Patterns {
    /// The DFA accepting exactly the strings in which `pattern` finds a match.
    fn dfa(&mut self, pattern: &str) -> Result<Rc<Dfa>, String> {
        compiled(pattern, || {
            let rust = translate(pattern)?;
            build(&format!("(?s:.)*(?:{rust})(?s:.)*"))
        })
    }

    /// Whether `pattern` (ECMA-262, unanchored) finds a match in `s`.
    pub fn is_match(&mut self, pattern: &str, s: &str) -> Result<bool, String> {
        let dfa = self.dfa(pattern)?;
        Ok(accepts(&dfa, s.as_bytes()))
    }

    /// A string satisfying `want` and violating every spec of `avoid`, or a proof there is none.
    pub fn search(&mut self, want: &StrSpec, avoid: &[StrSpec]) -> Search {
        if want.max.is_some_and(|m| m < want.min) {
            return Search::Empty;
        }
        if want.pats.is_empty() && avoid.iter().all(|b| b.pats.is_empty()) {
            return lengths_only(want, avoid);
        }
        // A spec whose patterns `want` already demands, over a wider length
        // range, cannot be escaped: the common "unchanged field" case.
        if avoid.iter().any(|b| {
            b.min <= want.min
                && b.max.is_none_or(|m| want.max.is_some_and(|w| w <= m))
                && b.pats.iter().all(|p| want.pats.contains(p))
        }) {
            return Search::Empty;
        }
        // Components: every DFA involved, the first being "valid UTF-8".
        let mut dfas: Vec<Rc<Dfa>> = Vec::new();
        let mut want_pats: Vec<(usize, bool)> = Vec::new();
        let mut avoid_pats: Vec<Vec<(usize, bool)>> = Vec::new();
        // Keyed so it cannot collide with an ECMA pattern's memo entry.
        let utf8 = match compiled("\0utf8", || build(r"(?s:.)*")) {
            Ok(d) => d,
            Err(e) => return Search::GaveUp(e),
        };
        dfas.push(utf8);
        for (p, pos) in &want.pats {
            match self.dfa(p) {
                Ok(d) => {
                    want_pats.push((dfas.len(), *pos));
                    dfas.push(d);
                }
                Err(e) => return Search::GaveUp(format!("pattern {p:?}: {e}")),
            }
        }
        for b in avoid {
            let mut mine = Vec::new();
            for (p, pos) in &b.pats {
                match self.dfa(p) {
                    Ok(d) => {
                        mine.push((dfas.len(), *pos));
                        dfas.push(d);
                    }
                    Err(e) => return Search::GaveUp(format!("pattern {p:?}: {e}")),
                }
            }
            avoid_pats.push(mine);
        }
        let cap = std::iter::once(want.min)
            .chain(want.max)
            .chain(
                avoid
                    .iter()
                    .flat_map(|b| std::iter::once(b.min).chain(b.max)),
            )
            .max()
            .unwrap_or(0)
            + 1;
        let cfg = start::Config::new().anchored(Anchored::Yes);
        let mut start_states = Vec::with_capacity(dfas.len());
        for d in &dfas {
            match d.start_state(&cfg) {
                Ok(s) => start_states.push(s),
                Err(e) => return Search::GaveUp(e.to_string()),
            }
        }
        type Key = (Vec<StateID>, u64);
        let start_key: Key = (start_states, 0);
        let mut prev: super::norm::FxMap<Key, Option<(Key, u8)>> = Default::default();
        prev.insert(start_key.clone(), None);
        let mut queue = VecDeque::from([start_key]);
        let order = byte_order();
        let matched = |i: usize, s: StateID| dfas[i].is_match_state(dfas[i].next_eoi_state(s));
        while let Some(cur) = queue.pop_front() {
            if prev.len() > SEARCH_BUDGET {
                return Search::GaveUp("string search budget exhausted".to_owned());
            }
            let (states, len) = &cur;
            let len_ok = |spec: &StrSpec| spec.len_ok(*len);
            let accept = matched(0, states[0])
                && len_ok(want)
                && want_pats
                    .iter()
                    .all(|&(i, pos)| matched(i, states[i]) == pos)
                && avoid.iter().zip(&avoid_pats).all(|(b, pats)| {
                    !len_ok(b) || pats.iter().any(|&(i, pos)| matched(i, states[i]) != pos)
                });
            if accept {
                let mut bytes = Vec::new();
                let mut k = cur.clone();
                while let Some(Some((p, b))) = prev.get(&k) {
                    bytes.push(*b);
                    k = p.clone();
                }
                bytes.reverse();
                return match String::from_utf8(bytes) {
                    Ok(s) => Search::Found(s),
                    Err(_) => Search::GaveUp("search produced invalid UTF-8".to_owned()),
                };
            }
            if want.max.is_some_and(|m| *len > m && *len < cap) {
                continue;
            }
            for &byte in &order {
                let mut next = Vec::with_capacity(states.len());
                let mut dead = false;
                for (i, s) in states.iter().enumerate() {
                    let n = dfas[i].next_state(*s, byte);
                    let must_live = i == 0 || want_pats.iter().any(|&(j, pos)| j == i && pos);
                    if must_live && (dfas[i].is_dead_state(n) || dfas[i].is_quit_state(n)) {
                        dead = true;
                        break;
                    }
                    next.push(n);
                }
                if dead {
                    continue;
                }
                let is_char_start = !(0x80..=0xBF).contains(&byte);
                let nlen = if is_char_start {
                    (*len + 1).min(cap)
                } else {
                    *len
                };
                let key = (next, nlen);
                if !prev.contains_key(&key) {
                    prev.insert(key.clone(), Some((cur.clone(), byte)));
                    queue.push_back(key);
                }
            }
        }
        Search::Empty
    }
}

/// Printable ASCII first (letters, digits, punctuation), so witnesses read well.
fn byte_order() -> Vec<u8> {
    let mut v: Vec<u8> = (b'a'..=b'z')
        .chain(b'0'..=b'9')
        .chain(b'A'..=b'Z')
        .collect();
    v.extend((0x20u8..0x7F).filter(|b| !b.is_ascii_alphanumeric()));
    v.extend((0u8..0x20).chain(0x7F..=0xFF));
    v
}

fn lengths_only(want: &StrSpec, avoid: &[StrSpec]) -> Search {
    let mut candidates = vec![want.min];
    for b in avoid {
        candidates.push(b.min.saturating_sub(1));
        if let Some(m) = b.max {
            candidates.push(m + 1);
        }
    }
    candidates.sort_unstable();
    for n in candidates {
        if want.len_ok(n) && avoid.iter().all(|b| !b.len_ok(n)) {
            return match usize::try_from(n) {
                Ok(n) if n <= 1 << 20 => Search::Found("a".repeat(n)),
                _ => Search::GaveUp("witness string would be too long".to_owned()),
            };
        }
    }
    Search::Empty
}

fn build(pattern: &str) -> Result<Dfa, String> {
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Anchored)
                .match_kind(MatchKind::All)
                .minimize(false)
                .dfa_size_limit(Some(DFA_LIMIT))
                .determinize_size_limit(Some(DFA_LIMIT)),
        )
        .syntax(syntax::Config::new())
        .thompson(thompson::Config::new().nfa_size_limit(Some(DFA_LIMIT)))
        .build(pattern)
        .map_err(|e| {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg = s.to_string();
                src = s.source();
            }
            msg
        })
}

fn accepts(dfa: &Dfa, s: &[u8]) -> bool {
    let Ok(mut st) = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)) else {
        return false;
    };
    for &b in s {
        st = dfa.next_state(st, b);
        if dfa.is_dead_state(st) {
            return false;
        }
    }
    dfa.is_match_state(dfa.next_eoi_state(st))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min: u64, max: Option<u64>, pats: &[(&str, bool)]) -> StrSpec {
        StrSpec {
            min,
            max,
            pats: pats.iter().map(|(p, b)| (Rc::from(*p), *b)).collect(),
        }
    }

    #[test]
    fn ecma_classes() {
        let mut p = Patterns;
        assert_eq!(p.is_match(r"^\d+$", "123"), Ok(true));
        assert_eq!(p.is_match(r"^\d+$", "١٢٣"), Ok(false));
        assert_eq!(p.is_match(r"^\w+$", "é"), Ok(false));
        assert_eq!(p.is_match(r"^a.b$", "a\rb"), Ok(false));
        assert_eq!(p.is_match(r"^[A-Z]{3}$", "EUR"), Ok(true));
        assert_eq!(p.is_match(r"x{", "ax{"), Ok(true));
        assert_eq!(p.is_match(r"foo", "xxfooyy"), Ok(true));
        assert!(p.is_match(r"^(?!a)", "b").is_err());
        // Unicode properties pass through (found by the model-vs-validator property test).
        assert_eq!(p.is_match(r"^\p{L}+$", "日本é"), Ok(true));
        assert_eq!(p.is_match(r"^\p{L}+$", "a1"), Ok(false));
        assert_eq!(p.is_match(r"^\P{L}$", "1"), Ok(true));
    }

    #[test]
    fn inclusion_search() {
        let mut p = Patterns;
        let a = spec(0, None, &[("^[a-z]+$", true)]);
        let b = spec(0, None, &[("^[a-y]+$", true)]);
        assert_eq!(
            p.search(&a, std::slice::from_ref(&b)),
            Search::Found("z".into())
        );
        assert_eq!(p.search(&b, &[a]), Search::Empty);
        let short = spec(0, Some(3), &[("^[0-9]+$", true)]);
        let long = spec(2, None, &[]);
        assert_eq!(p.search(&short, &[long]), Search::Found("0".into()));
        assert_eq!(p.search(&spec(5, Some(3), &[]), &[]), Search::Empty);
        assert_eq!(
            p.search(&spec(2, Some(4), &[]), &[spec(3, None, &[])]),
            Search::Found("aa".into())
        );
    }
}
