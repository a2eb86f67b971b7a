//! The schema directory layout (`evreg.toml`, `envelope.json`, `<routing.key>/vN.json`, `examples/`), read through a caller-supplied file source.
//!
//! Pure: every byte comes through [`Source`], which the binaries implement
//! over the real file system (and tests over memory). Parsing errors name
//! the file, line and column; schema errors the file and JSON pointer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::RegistryConfig;
use crate::roots::{Roots, SchemaRoot};
use crate::routing::RoutingKey;
use crate::schema::{MAX_DEPTH, SchemaSet, encode_path, percent_decode};

/// Largest file read (a 10 MB schema is fine; a runaway file is not).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Where the layout reads files from.
pub trait Source {
    /// The text of a file.
    fn read(&self, path: &Path) -> Result<String, String>;
    /// The entries of a directory as (name, is_directory), in any order.
    fn list(&self, dir: &Path) -> Result<Vec<(String, bool)>, String>;
    fn is_file(&self, path: &Path) -> bool;
    /// An absolute form of `path`, for `file://` URIs.
    fn absolute(&self, path: &Path) -> PathBuf;
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LoadError {
    pub file: String,
    pub message: String,
}

fn err(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError {
        file: path.display().to_string(),
        message: message.into(),
    }
}

/// Parses JSON text; errors give line and column.
pub fn parse_json(path: &Path, text: &str) -> Result<Value, LoadError> {
    serde_json::from_str(text).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            err(
                path,
                format!(
                    "line {} column {}: JSON nests deeper than {MAX_DEPTH} levels",
                    e.line(),
                    e.column()
                ),
            )
        } else {
            err(
                path,
                format!("line {} column {}: invalid JSON: {e}", e.line(), e.column()),
            )
        }
    })
}

/// Reads and parses a JSON file.
pub fn read_json(src: &dyn Source, path: &Path) -> Result<Value, LoadError> {
    read_json_text(src, path).map(|(v, _)| v)
}

/// Reads and parses a JSON file, and gives its text too (a schema's
/// integers past 64 bits survive only there: [`SchemaSet::read_literals`]).
pub fn read_json_text(src: &dyn Source, path: &Path) -> Result<(Value, String), LoadError> {
    let text = src.read(path).map_err(|m| err(path, m))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(err(
            path,
            format!(
                "file is {} bytes; at most {MAX_FILE_BYTES} are read",
                text.len()
            ),
        ));
    }
    Ok((parse_json(path, &text)?, text))
}

/// The `file://` URI of a path.
pub fn file_uri(src: &dyn Source, path: &Path) -> String {
    let s = lexical(&src.absolute(path))
        .to_string_lossy()
        .replace('\\', "/");
    let s = encode_path(&s);
    if s.starts_with('/') {
        format!("file://{s}")
    } else {
        format!("file:///{s}")
    }
}

/// `path` without `.` and `..` segments, as URI resolution would give it, so
/// the URI a file is loaded under equals the one `$ref`s resolve to.
fn lexical(path: &Path) -> PathBuf {
    path.components().fold(PathBuf::new(), |mut p, c| {
        match c {
            std::path::Component::ParentDir => {
                p.pop();
            }
            std::path::Component::CurDir => {}
            other => p.push(other),
        }
        p
    })
}

/// The path of a `file://` URI.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    uri.strip_prefix("file://")
        .map(|p| PathBuf::from(percent_decode(p.split('#').next().unwrap_or(p))))
}

/// Loads a schema file and every file its references reach, without schema
/// roots ([`Roots::load`] with roots).
pub fn load_schema(src: &dyn Source, path: &Path) -> Result<SchemaSet, LoadError> {
    Roots::default().load(src, path)
}

/// A document as a registry stores it: one schema plus named references to
/// other stored documents (Confluent's `references`).
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryDocument {
    /// The subject a shared file is registered under, its path relative to
    /// the schema directory (`common/money.json`); `None` for the version's
    /// own document.
    pub subject: Option<String>,
    pub schema: Value,
    /// (name as this document's `$ref`s spell it, subject of the document it names).
    pub references: Vec<(String, String)>,
}

/// Splits a version's schema set into the documents a registry stores: each
/// document its references reach, after the documents that one refers to,
/// then the version's own document last. A document is registered under its
/// path relative to the schema directory `root`, or to the schema root it was
/// found in; the standard metaschemas are not registered (a registry knows
/// them). Documents may not refer to each other in a cycle (a registry
/// reference names a version that must exist first).
pub fn registry_documents(
    src: &dyn Source,
    root: &Path,
    roots: &Roots,
    set: &SchemaSet,
) -> Result<Vec<RegistryDocument>, LoadError> {
    let docs: Vec<(&str, &Value)> = set.documents().collect();
    let mut dirs: Vec<(Option<&str>, PathBuf)> = vec![(None, lexical(&src.absolute(root)))];
    for r in roots.list() {
        dirs.push((r.prefix.as_deref(), lexical(&src.absolute(&r.dir))));
    }
    let root_path = uri_path(docs[0].0).unwrap_or_else(|| PathBuf::from(docs[0].0));
    let subject_of = |i: usize| -> Result<Option<String>, LoadError> {
        let uri = docs[i].0;
        if crate::schema::is_known_document(uri) {
            return Ok(None);
        }
        for (prefix, dir) in &dirs {
            let rel = match prefix {
                Some(p) => uri
                    .strip_prefix(p)
                    .map(|r| PathBuf::from(percent_decode(r))),
                None => uri_path(uri).and_then(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf)),
            };
            if let Some(rel) = rel {
                return Ok(Some(rel.to_string_lossy().replace('\\', "/")));
            }
        }
        Err(err(
            &uri_path(uri).unwrap_or_else(|| PathBuf::from(uri)),
            format!(
                "referenced from {} but outside the schema directory {} and every schema root",
                root_path.display(),
                root.display()
            ),
        ))
    };
    // For each document, the documents its references name: (name as written, index).
    let mut edges: Vec<Vec<(String, usize)>> = vec![Vec::new(); docs.len()];
    for r in set.references() {
        let name = r.reference.split('#').next().unwrap_or_default();
        if name.is_empty() || edges[r.at.doc].iter().any(|(n, _)| n == name) {
            continue;
        }
        let target = set
            .resolve(&r.at, &r.reference)
            .map_err(|e| err(&root_path, e.to_string()))?;
        if target.doc != r.at.doc && !crate::schema::is_known_document(docs[target.doc].0) {
            edges[r.at.doc].push((name.to_owned(), target.doc));
        }
    }
    // Depth-first, dependencies first; a document on the current path again is a cycle.
    let mut order = Vec::new();
    let mut state = vec![0u8; docs.len()]; // 0 new, 1 on the path, 2 done
    fn visit(
        i: usize,
        edges: &[Vec<(String, usize)>],
        state: &mut [u8],
        order: &mut Vec<usize>,
        docs: &[(&str, &Value)],
    ) -> Result<(), String> {
        match state[i] {
            2 => return Ok(()),
            1 => return Err(docs[i].0.to_owned()),
            _ => {}
        }
        state[i] = 1;
        for (_, j) in &edges[i] {
            visit(*j, edges, state, order, docs)?;
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    visit(0, &edges, &mut state, &mut order, &docs).map_err(|at| {
        err(
            &root_path,
            format!("its files refer to each other in a cycle (through {at}); a registry cannot store that as references"),
        )
    })?;
    let mut out = Vec::with_capacity(order.len());
    for i in order {
        let mut references = Vec::new();
        for (name, j) in &edges[i] {
            if let Some(subject) = subject_of(*j)? {
                references.push((name.clone(), subject));
            }
        }
        let subject = if i == 0 { None } else { subject_of(i)? };
        if i != 0 && subject.is_none() {
            continue;
        }
        out.push(RegistryDocument {
            subject,
            schema: docs[i].1.clone(),
            references,
        });
    }
    Ok(out)
}

/// `evreg.lock`, which `evreg pull` writes beside the files it pulled and
/// codegen reads for schema ids: the one definition of that file's format.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The registry the files came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    pub subjects: Vec<LockEntry>,
}

/// One pulled version: its subject, version, global id and the SHA-256 of the file written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub subject: String,
    pub version: u32,
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl Lock {
    /// The file name, in the schema directory.
    pub const FILE: &'static str = "evreg.lock";

    /// Parses the file's text; errors give line, column and what was expected.
    pub fn parse(path: &Path, text: &str) -> Result<Lock, LoadError> {
        serde_json::from_str(text).map_err(|e| {
            err(
                path,
                format!(
                    "line {} column {}: {e} (expected {{\"registry\": URL, \"subjects\": [{{\"subject\", \"version\", \"id\", \"sha256\"}}]}})",
                    e.line(),
                    e.column()
                ),
            )
        })
    }

    /// The file's text: pretty JSON and a final newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// One `vN.json` of a routing key.
#[derive(Debug, Clone)]
pub struct VersionFile {
    pub number: u32,
    pub path: PathBuf,
    /// The loaded schema; `None` after [`SchemaDir::scan`], until [`SubjectDir::load_versions`].
    pub schema: Option<SchemaSet>,
}

/// A routing key's directory.
#[derive(Debug, Clone)]
pub struct SubjectDir {
    pub key: RoutingKey,
    pub dir: PathBuf,
    /// v1, v2, ... in order, without gaps.
    pub versions: Vec<VersionFile>,
    /// `examples/*.json`, sorted.
    pub examples: Vec<PathBuf>,
}

/// Something wrong with the directory's shape (not with a file's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutProblem {
    pub path: PathBuf,
    pub message: String,
}

/// A loaded schema directory.
#[derive(Debug, Clone)]
pub struct SchemaDir {
    pub root: PathBuf,
    pub config: RegistryConfig,
    /// The text of `evreg.toml` (empty without one), for the catalog codegen embeds.
    pub config_text: String,
    /// The envelope schema, when `evreg.toml` names one.
    pub envelope: Option<SchemaSet>,
    pub subjects: Vec<SubjectDir>,
    pub problems: Vec<LayoutProblem>,
    /// Every file and directory read, for build scripts' `rerun-if-changed`.
    pub read: Vec<PathBuf>,
    /// Where references look beyond the files given: the roots the caller
    /// gave, then `schema_roots` of `evreg.toml`, then the directory itself.
    pub roots: Roots,
}

/// The version number of a file named `v{N}.json`.
pub fn version_of(name: &str) -> Option<u32> {
    let n = name.strip_prefix('v')?.strip_suffix(".json")?;
    if n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

fn sorted(src: &dyn Source, dir: &Path) -> Result<Vec<(String, bool)>, LoadError> {
    let mut v = src.list(dir).map_err(|m| err(dir, m))?;
    v.sort();
    Ok(v)
}

impl SubjectDir {
    /// Loads every version's schema (and the files their references reach
    /// through `roots`, the directory's [`SchemaDir::roots`]).
    pub fn load_versions(&mut self, src: &dyn Source, roots: &Roots) -> Result<(), LoadError> {
        for v in &mut self.versions {
            if v.schema.is_none() {
                v.schema = Some(roots.load(src, &v.path)?);
            }
        }
        Ok(())
    }

    /// Drops the loaded schemas, to bound memory while walking a large directory.
    pub fn unload_versions(&mut self) {
        for v in &mut self.versions {
            v.schema = None;
        }
    }
}

impl SchemaDir {
    /// Reads a schema directory: its config, envelope, and every directory
    /// holding `vN.json` files (whose name must be a routing key), with every
    /// version's schema loaded.
    pub fn load(src: &dyn Source, root: &Path) -> Result<SchemaDir, LoadError> {
        SchemaDir::load_with(src, root, &[])
    }

    /// [`SchemaDir::load`] with schema roots given by the caller (`--schema-root`).
    pub fn load_with(
        src: &dyn Source,
        root: &Path,
        roots: &[SchemaRoot],
    ) -> Result<SchemaDir, LoadError> {
        let mut dir = SchemaDir::scan_with(src, root, roots)?;
        let roots = dir.roots.clone();
        for s in &mut dir.subjects {
            s.load_versions(src, &roots)?;
        }
        Ok(dir)
    }

    /// Like [`SchemaDir::load`], but version schemas are left unloaded.
    pub fn scan(src: &dyn Source, root: &Path) -> Result<SchemaDir, LoadError> {
        SchemaDir::scan_with(src, root, &[])
    }

    /// [`SchemaDir::scan`] with schema roots given by the caller.
    pub fn scan_with(
        src: &dyn Source,
        root: &Path,
        roots: &[SchemaRoot],
    ) -> Result<SchemaDir, LoadError> {
        let mut read = vec![root.to_path_buf()];
        let config_path = root.join("evreg.toml");
        let (config, config_text) = if src.is_file(&config_path) {
            read.push(config_path.clone());
            let text = src.read(&config_path).map_err(|m| err(&config_path, m))?;
            let config =
                RegistryConfig::parse(&text).map_err(|e| err(&config_path, e.to_string()))?;
            (config, text)
        } else {
            (RegistryConfig::default(), String::new())
        };
        let mut all_roots = roots.to_vec();
        for r in &config.schema_roots {
            let mut r = SchemaRoot::parse(r)
                .map_err(|m| err(&config_path, format!("schema_roots: {m}")))?;
            r.dir = root.join(&r.dir);
            all_roots.push(r);
        }
        all_roots.push(SchemaRoot::dir(root));
        let roots = Roots::default().with(all_roots);
        let envelope = match &config.envelope {
            Some(rel) => {
                let p = root.join(rel);
                read.push(p.clone());
                Some(roots.load(src, &p)?)
            }
            None => None,
        };
        let mut subjects = Vec::new();
        let mut problems = Vec::new();
        for (name, is_dir) in sorted(src, root)? {
            if !is_dir {
                continue;
            }
            let dir = root.join(&name);
            let entries = sorted(src, &dir)?;
            let mut versions: BTreeMap<u32, PathBuf> = BTreeMap::new();
            for (f, f_dir) in &entries {
                if let Some(n) = version_of(f).filter(|_| !f_dir) {
                    versions.insert(n, dir.join(f));
                }
            }
            if versions.is_empty() {
                continue;
            }
            read.push(dir.clone());
            let key = match RoutingKey::new(&name) {
                Ok(k) => k,
                Err(e) => {
                    problems.push(LayoutProblem {
                        path: dir,
                        message: format!("directory name {name:?} is not a routing key: {e}"),
                    });
                    continue;
                }
            };
            let expected: Vec<u32> = (1..=versions.len() as u32).collect();
            if versions.keys().copied().collect::<Vec<_>>() != expected {
                let have: Vec<String> = versions.keys().map(|v| format!("v{v}")).collect();
                problems.push(LayoutProblem {
                    path: dir,
                    message: format!(
                        "versions must run v1, v2, ... without gaps; found {}",
                        have.join(", ")
                    ),
                });
                continue;
            }
            let mut files = Vec::new();
            for (number, path) in versions {
                read.push(path.clone());
                files.push(VersionFile {
                    number,
                    path,
                    schema: None,
                });
            }
            let mut examples = Vec::new();
            let ex_dir = dir.join("examples");
            if entries.iter().any(|(n, d)| n == "examples" && *d) {
                for (f, f_dir) in sorted(src, &ex_dir)? {
                    if !f_dir && f.ends_with(".json") {
                        examples.push(ex_dir.join(f));
                    }
                }
            }
            subjects.push(SubjectDir {
                key,
                dir,
                versions: files,
                examples,
            });
        }
        Ok(SchemaDir {
            root: root.to_path_buf(),
            config,
            config_text,
            envelope,
            subjects,
            problems,
            read,
            roots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Files in memory under `/reg`.
    struct Mem(BTreeMap<PathBuf, String>);

    impl Source for Mem {
        fn read(&self, path: &Path) -> Result<String, String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| "no such file".into())
        }
        fn list(&self, _: &Path) -> Result<Vec<(String, bool)>, String> {
            Ok(Vec::new())
        }
        fn is_file(&self, path: &Path) -> bool {
            self.0.contains_key(path)
        }
        fn absolute(&self, path: &Path) -> PathBuf {
            Path::new("/").join(path)
        }
    }

    fn mem(files: &[(&str, &str)]) -> Mem {
        Mem(files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect())
    }

    #[test]
    fn shared_files_come_first_with_their_names() {
        let src = mem(&[
            (
                "/reg/a.b.c/v1.json",
                r#"{"properties": {"m": {"$ref": "../common/money.json#/$defs/m"}, "n": {"$ref": "../common/money.json"}}}"#,
            ),
            (
                "/reg/common/money.json",
                r#"{"$defs": {"m": {"$ref": "currency.json"}}}"#,
            ),
            (
                "/reg/common/currency.json",
                r#"{"type": "string", "const": {"$ref": "not-a-ref.json"}}"#,
            ),
        ]);
        let set = load_schema(&src, Path::new("/reg/a.b.c/v1.json")).expect("loads");
        let docs = registry_documents(&src, Path::new("/reg/./"), &Roots::default(), &set)
            .expect("splits");
        let subjects: Vec<Option<&str>> = docs.iter().map(|d| d.subject.as_deref()).collect();
        assert_eq!(
            subjects,
            [
                Some("common/currency.json"),
                Some("common/money.json"),
                None
            ]
        );
        assert_eq!(
            docs[1].references,
            [(
                "currency.json".to_owned(),
                "common/currency.json".to_owned()
            )]
        );
        assert_eq!(
            docs[2].references,
            [(
                "../common/money.json".to_owned(),
                "common/money.json".to_owned()
            )]
        );
        assert!(
            docs[0].references.is_empty(),
            "refs inside const are values, not references"
        );
    }

    #[test]
    fn cycles_and_files_outside_are_refused_by_name() {
        let src = mem(&[
            ("/reg/a.b.c/v1.json", r#"{"$ref": "../common/x.json"}"#),
            ("/reg/common/x.json", r#"{"$ref": "y.json"}"#),
            ("/reg/common/y.json", r#"{"$ref": "x.json"}"#),
        ]);
        let set = load_schema(&src, Path::new("/reg/a.b.c/v1.json")).expect("loads");
        let e = registry_documents(&src, Path::new("/reg"), &Roots::default(), &set)
            .expect_err("a cycle");
        assert!(e.message.contains("cycle"), "{e}");
        let src = mem(&[
            ("/reg/a.b.c/v1.json", r#"{"$ref": "../common/x.json"}"#),
            ("/reg/common/x.json", r#"{"type": "string"}"#),
        ]);
        let set = load_schema(&src, Path::new("/reg/a.b.c/v1.json")).expect("loads");
        let e = registry_documents(&src, Path::new("/reg/a.b.c"), &Roots::default(), &set)
            .expect_err("outside");
        assert!(e.message.contains("outside the schema directory"), "{e}");
    }
}
