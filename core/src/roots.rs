//! Schema roots: where a reference looks when the documents given do not hold its target (like protoc's `-I`), and the loader that completes a schema set through them.
//!
//! Pure like the rest of core: every byte comes through a [`Source`]. A
//! reference that no loaded document answers is looked for, in order:
//! as a `file:` URI on disk (a path relative to the referring file); among
//! the standard metaschemas (compiled in); under a root mounted at a URI
//! prefix; by absolute URI among the `$id`s the files under every root
//! declare (indexed lazily, once per [`Roots`] value, on the first miss);
//! then, for a relative reference, relative to each root in order. Nothing is
//! fetched from a network.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::layout::{LoadError, Source, file_uri, read_json, read_json_text, uri_path};
use crate::schema::{
    MissingDocument, SchemaSet, encode_path, normalize_uri, percent_decode, try_resolve_uri,
};

/// Most files one schema may pull in through references.
const MAX_FILES: usize = 1_000;
/// Most files an `$id` index reads under one set of roots, and how deep it descends.
const MAX_INDEXED_FILES: usize = 200_000;
const MAX_INDEX_DEPTH: usize = 32;

/// One schema root: a directory, optionally mounted at a URI prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRoot {
    pub dir: PathBuf,
    /// `http://localhost:1234/` for `--schema-root http://localhost:1234/=remotes/`:
    /// a URI under the prefix names the file at the same path under `dir`.
    pub prefix: Option<String>,
}

impl SchemaRoot {
    pub fn dir(dir: impl Into<PathBuf>) -> SchemaRoot {
        SchemaRoot {
            dir: dir.into(),
            prefix: None,
        }
    }

    /// `DIR`, or `URI=DIR` to mount `DIR` at the URI prefix `URI`.
    pub fn parse(spec: &str) -> Result<SchemaRoot, String> {
        if let Some((uri, dir)) = spec.split_once('=')
            && uri.contains(':')
            && !uri.starts_with('/')
            && uri.len() > 2
        {
            let prefix = normalize_uri(uri);
            if try_resolve_uri(&prefix, "x").is_err() {
                return Err(format!(
                    "{uri:?} is not an absolute URI to mount {dir:?} at"
                ));
            }
            if dir.is_empty() {
                return Err(format!("no directory after {uri:?}="));
            }
            let prefix = if prefix.ends_with('/') {
                prefix
            } else {
                format!("{prefix}/")
            };
            return Ok(SchemaRoot {
                dir: PathBuf::from(dir),
                prefix: Some(prefix),
            });
        }
        if spec.is_empty() {
            return Err("an empty schema root".into());
        }
        Ok(SchemaRoot::dir(spec))
    }

    /// The URI a file under this root is loaded under.
    fn uri_of(&self, src: &dyn Source, file: &Path) -> String {
        match &self.prefix {
            Some(prefix) => {
                let rel = file.strip_prefix(&self.dir).unwrap_or(file);
                let rel = rel.to_string_lossy().replace('\\', "/");
                format!("{prefix}{}", encode_path(&rel))
            }
            None => file_uri(src, file),
        }
    }

    /// The URI this root's top directory stands for (ends with `/`).
    fn base_uri(&self, src: &dyn Source) -> String {
        match &self.prefix {
            Some(p) => p.clone(),
            None => format!("{}/", file_uri(src, &self.dir).trim_end_matches('/')),
        }
    }

    /// The file a URI names under this root, if it lies under it.
    fn file_of(&self, src: &dyn Source, uri: &str) -> Option<PathBuf> {
        match &self.prefix {
            Some(prefix) => {
                let rest = uri.strip_prefix(prefix.as_str())?;
                Some(self.dir.join(percent_decode(rest)))
            }
            None => {
                let path = uri_path(uri)?;
                let dir = uri_path(&self.base_uri(src))?;
                path.starts_with(&dir).then_some(path)
            }
        }
    }
}

impl std::fmt::Display for SchemaRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.prefix {
            Some(p) => write!(f, "{p}={}", self.dir.display()),
            None => write!(f, "{}", self.dir.display()),
        }
    }
}

/// Where the `$id`s declared under the roots are: id → (file, URI it loads under).
#[derive(Debug, Default)]
struct IdIndex {
    ids: HashMap<String, Vec<(PathBuf, String)>>,
    files: usize,
}

/// The schema roots of one command, with their lazily built `$id` index.
/// Clones share the index.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    roots: Vec<SchemaRoot>,
    ids: Arc<OnceLock<Result<IdIndex, LoadError>>>,
}

/// What a missing document was found as.
struct Found {
    /// The file to read, unless the set holds the document already.
    file: Option<PathBuf>,
    /// The URI the document is (or is to be) loaded under.
    uri: String,
}

impl Roots {
    pub fn new(roots: Vec<SchemaRoot>) -> Roots {
        Roots {
            roots,
            ids: Arc::default(),
        }
    }

    pub fn list(&self) -> &[SchemaRoot] {
        &self.roots
    }

    /// These roots followed by `more` (a new index: the roots differ).
    pub fn with(&self, more: impl IntoIterator<Item = SchemaRoot>) -> Roots {
        let mut roots = self.roots.clone();
        for r in more {
            if !roots.contains(&r) {
                roots.push(r);
            }
        }
        Roots::new(roots)
    }

    /// How many files the `$id` index read (0 until a reference needed it).
    pub fn indexed_files(&self) -> usize {
        match self.ids.get() {
            Some(Ok(i)) => i.files,
            _ => 0,
        }
    }

    /// Loads a schema file and every document its references reach.
    pub fn load(&self, src: &dyn Source, path: &Path) -> Result<SchemaSet, LoadError> {
        let (root, text) = read_json_text(src, path)?;
        let mut set = SchemaSet::new(&file_uri(src, path), root).map_err(|e| LoadError {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        set.read_literals(0, &text);
        self.complete(src, &mut set)?;
        Ok(set)
    }

    /// Adds to `set` every document its references reach that it does not
    /// hold yet; a reference found nowhere is an error naming it, its base
    /// URI and the roots searched.
    pub fn complete(&self, src: &dyn Source, set: &mut SchemaSet) -> Result<(), LoadError> {
        let mut added = 0usize;
        loop {
            set.add_known_documents().map_err(|e| LoadError {
                file: set.doc_uri(0).to_owned(),
                message: e.to_string(),
            })?;
            let missing = set.missing_documents();
            if missing.is_empty() {
                return Ok(());
            }
            for m in missing {
                if set.document_by_uri(&m.uri).is_some() {
                    continue; // a document added in this round declared it
                }
                let found = self.find(src, set, &m)?;
                let doc = match (found.file, set.document_by_uri(&found.uri)) {
                    (_, Some(doc)) => doc,
                    (Some(file), None) => {
                        added += 1;
                        if added > MAX_FILES {
                            return Err(LoadError {
                                file: display_uri(set.doc_uri(0)),
                                message: format!("references reach more than {MAX_FILES} files"),
                            });
                        }
                        let (value, text) = read_json_text(src, &file)?;
                        let doc = set.add(&found.uri, value).map_err(|e| LoadError {
                            file: file.display().to_string(),
                            message: e.to_string(),
                        })?;
                        set.read_literals(doc, &text);
                        doc
                    }
                    (None, None) => continue,
                };
                set.alias(&m.uri, doc);
            }
        }
    }

    fn find(
        &self,
        src: &dyn Source,
        set: &SchemaSet,
        m: &MissingDocument,
    ) -> Result<Found, LoadError> {
        let file = |p: PathBuf, uri: String| Found { file: Some(p), uri };
        // A path on disk, relative to the referring file.
        if let Some(p) = uri_path(&m.uri).filter(|p| src.is_file(p)) {
            return Ok(file(p, m.uri.clone()));
        }
        // A root mounted at a prefix of the URI.
        for root in self.roots.iter().filter(|r| r.prefix.is_some()) {
            if let Some(p) = root.file_of(src, &m.uri).filter(|p| src.is_file(p)) {
                return Ok(file(p, m.uri.clone()));
            }
        }
        if !self.roots.is_empty() {
            // A declared `$id`.
            if let Some(found) = self.by_id(src, &m.uri)? {
                return Ok(found);
            }
            // Relative to each root.
            let relative = is_relative_reference(&m.reference);
            if relative {
                let reference = m
                    .reference
                    .rsplit_once('#')
                    .map_or(m.reference.as_str(), |(d, _)| d);
                for root in &self.roots {
                    let Ok(uri) = try_resolve_uri(&root.base_uri(src), reference) else {
                        continue;
                    };
                    if set.document_by_uri(&uri).is_some() {
                        return Ok(Found { file: None, uri });
                    }
                    if let Some(p) = root.file_of(src, &uri).filter(|p| src.is_file(p)) {
                        let uri = root.uri_of(src, &p);
                        return Ok(file(p, uri));
                    }
                }
            }
        }
        let searched = if self.roots.is_empty() {
            "no schema roots were given (--schema-root DIR)".to_owned()
        } else {
            let names: Vec<String> = self.roots.iter().map(ToString::to_string).collect();
            format!("schema roots searched: {}", names.join(", "))
        };
        Err(LoadError {
            file: display_uri(&m.doc),
            message: format!(
                "#{}: cannot resolve {:?} (base URI {}): no document {} on disk, among the standard metaschemas or declared by an $id; {searched}; remote references are never fetched",
                m.pointer, m.reference, m.base, m.uri
            ),
        })
    }

    /// The file under the roots that declares `uri` as an `$id`; an error
    /// when two different documents declare it.
    fn by_id(&self, src: &dyn Source, uri: &str) -> Result<Option<Found>, LoadError> {
        let index = self
            .ids
            .get_or_init(|| build_index(src, &self.roots))
            .as_ref()
            .map_err(Clone::clone)?;
        let Some(claims) = index.ids.get(uri) else {
            return Ok(None);
        };
        let (first_file, first_uri) = &claims[0];
        if claims.len() > 1 {
            let first = read_json(src, first_file)?;
            for (other, _) in &claims[1..] {
                if read_json(src, other)? != first {
                    return Err(LoadError {
                        file: first_file.display().to_string(),
                        message: format!(
                            "{uri} is declared as $id by two different documents, {} and {}; a reference to it is ambiguous",
                            first_file.display(),
                            other.display()
                        ),
                    });
                }
            }
        }
        Ok(Some(Found {
            file: Some(first_file.clone()),
            uri: first_uri.clone(),
        }))
    }
}

/// Whether a reference is relative (has no scheme) and names a document, not
/// only a fragment of the current one.
fn is_relative_reference(r: &str) -> bool {
    if r.is_empty() || r.starts_with('#') {
        return false;
    }
    match r.find([':', '/', '?', '#']) {
        Some(i) if r.as_bytes()[i] == b':' => {
            let scheme = &r[..i];
            !(scheme
                .as_bytes()
                .first()
                .is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)))
        }
        _ => true,
    }
}

/// A `file:` URI as a path for messages; other URIs as they are.
fn display_uri(uri: &str) -> String {
    uri_path(uri)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| uri.to_owned())
}

/// Reads every `.json` file under the roots and records the `$id`s it declares.
fn build_index(src: &dyn Source, roots: &[SchemaRoot]) -> Result<IdIndex, LoadError> {
    let mut index = IdIndex::default();
    for root in roots {
        let mut stack = vec![(root.dir.clone(), 0usize)];
        let mut files: BTreeMap<PathBuf, ()> = BTreeMap::new();
        while let Some((dir, depth)) = stack.pop() {
            let entries = src.list(&dir).map_err(|m| LoadError {
                file: dir.display().to_string(),
                message: format!("schema root: {m}"),
            })?;
            for (name, is_dir) in entries {
                if name.starts_with('.') {
                    continue;
                }
                let p = dir.join(&name);
                if is_dir {
                    if depth < MAX_INDEX_DEPTH {
                        stack.push((p, depth + 1));
                    }
                } else if name.ends_with(".json") {
                    files.insert(p, ());
                }
            }
            if files.len() > MAX_INDEXED_FILES {
                return Err(LoadError {
                    file: root.dir.display().to_string(),
                    message: format!("schema root holds more than {MAX_INDEXED_FILES} JSON files"),
                });
            }
        }
        for file in files.into_keys() {
            index.files += 1;
            let Ok(text) = src.read(&file) else { continue };
            // Only a file that spells an identifier keyword can declare one.
            if !text.contains("id\"") {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let uri = root.uri_of(src, &file);
            let Ok(set) = SchemaSet::new(&uri, value) else {
                continue;
            };
            for id in set.identifiers(0) {
                if id != uri {
                    let claims = index.ids.entry(id).or_default();
                    if !claims.iter().any(|(f, _)| *f == file) {
                        claims.push((file.clone(), uri.clone()));
                    }
                }
            }
        }
    }
    Ok(index)
}
