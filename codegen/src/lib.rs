//! evreg-codegen: typed Rust events from evreg schemas, generated from `build.rs` the way prost-build does it.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     evreg_codegen::Config::new().schemas_dir("../schemas").compile()?;
//!     Ok(())
//! }
//! ```
//! and in the crate: `mod events { evreg_codegen::include_events!(); }`.
//!
//! [`Config::compile`] reads files, writes `$OUT_DIR/events.rs` and prints
//! `cargo:rerun-if-changed`; [`generate`] underneath is pure: loaded
//! schemas in, Rust source out.

use std::path::{Path, PathBuf};

use evreg_core::BindingPattern;
use evreg_core::layout::{self, LoadError, Lock, SchemaDir, Source};
use evreg_core::roots::{Roots, SchemaRoot};
use evreg_core::schema::SchemaSet;
use serde_json::Value;

mod emit;
mod model;
mod names;

use emit::{Emitter, ModTree, QueueGen, SubjectGen, Topology, format, render, with_helpers};
use model::{Builder, Def, Ty};

/// Which crate date-time fields use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateTimeCrate {
    /// `String` (no extra dependency).
    #[default]
    None,
    /// `chrono::DateTime<Utc>` and `chrono::NaiveDate` (chrono with its `serde` feature).
    Chrono,
    /// `time::OffsetDateTime` in RFC 3339 (time with `serde` and `serde-well-known`); dates stay `String`.
    Time,
}

/// What to generate, independent of where schemas come from.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only routing keys this binding pattern matches (`auth.#`).
    pub routing_keys: Option<BindingPattern>,
    /// Extra derives on every type (`"Eq"`, `"Hash"`, `"my::Trait"`).
    pub derives: Vec<String>,
    /// Extra attributes on every type (`"#[serde(deny_unknown_fields)]"`).
    pub attributes: Vec<String>,
    pub datetime: DateTimeCrate,
    /// `format: uuid` → `uuid::Uuid` (uuid with `serde`).
    pub uuid: bool,
    /// `format: uri` → `url::Url` (url with `serde`).
    pub url: bool,
    /// Constructs without a Rust type become `serde_json::Value` with a warning, instead of an error.
    pub value_fallback: bool,
    /// Derive `schemars::JsonSchema` on every type.
    pub schemars: bool,
    /// Also implement `evreg_bus::Event` per version and embed the message
    /// schemas as `CATALOG`, for publishing and consuming with evreg-bus
    /// (the generated code then needs the `evreg-bus` crate).
    pub bus: bool,
}

/// Why generation failed. Every schema problem names the file and JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{file}#{pointer}: {message}")]
    Unsupported {
        file: String,
        pointer: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Layout { path: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// Generated source and the warnings generation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub code: String,
    pub warnings: Vec<String>,
}

/// Schema ids from a pulled registry's lock file, by (routing key, version).
pub type SchemaIds = std::collections::BTreeMap<(String, u32), u64>;

/// Generates the events module for a schema directory.
pub fn generate(dir: &SchemaDir, ids: &SchemaIds, opts: &Options) -> Result<Generated, Error> {
    if let Some(p) = dir.problems.first() {
        return Err(Error::Layout {
            path: p.path.display().to_string(),
            message: p.message.clone(),
        });
    }
    let mut b = Builder::new(opts);
    let subjects: Vec<&layout::SubjectDir> = dir
        .subjects
        .iter()
        .filter(|s| {
            opts.routing_keys
                .as_ref()
                .is_none_or(|p| p.matches_key(&s.key))
        })
        .collect();
    for s in &subjects {
        let words: Vec<String> = s.key.words().map(str::to_owned).collect();
        let module: Vec<String> = words[..words.len().saturating_sub(1)]
            .iter()
            .map(|w| names::snake(w))
            .collect();
        for v in &s.versions {
            b.modules
                .insert(loaded(v)?.doc_uri(0).to_owned(), module.clone());
        }
    }
    if let Some(env) = &dir.envelope {
        b.modules.insert(env.doc_uri(0).to_owned(), Vec::new());
    }
    // The envelope first, so its types take the plain names.
    let envelope = match &dir.envelope {
        Some(env) => Some(envelope_type(&mut b, env)?),
        None => None,
    };
    let mut gens = Vec::new();
    for s in &subjects {
        let words: Vec<&str> = s.key.words().collect();
        let module: Vec<String> = words[..words.len().saturating_sub(1)]
            .iter()
            .map(|w| names::snake(w))
            .collect();
        let base = names::camel(&words[words.len().saturating_sub(2)..].join("_"));
        let mut versions = Vec::new();
        for v in &s.versions {
            let name = format!("{base}V{}", v.number);
            let schema = loaded(v)?;
            let id = b.named_root(schema, &schema.root(), &name)?;
            versions.push((
                v.number,
                id,
                ids.get(&(s.key.to_string(), v.number)).copied(),
            ));
        }
        let exchange = dir
            .config
            .exchange_of(&s.key)
            .unwrap_or_default()
            .to_owned();
        gens.push(SubjectGen {
            key: s.key.to_string(),
            module,
            base,
            versions,
            exchange,
        });
    }
    let topology = Topology {
        queues: dir
            .config
            .queues
            .iter()
            .map(|q| {
                let binds = dir
                    .config
                    .bindings
                    .iter()
                    .filter(|bd| bd.queue == q.name)
                    .map(|bd| (bd.exchange.clone(), bd.pattern.to_string()))
                    .collect();
                let consumers = dir
                    .config
                    .services
                    .iter()
                    .filter(|s| s.consumes.contains(&q.name))
                    .map(|s| s.name.clone())
                    .collect();
                QueueGen {
                    name: q.name.clone(),
                    dead_letter: q.dead_letter_queue.clone(),
                    bindings: binds,
                    consumers,
                }
            })
            .collect(),
    };
    let catalog = opts.bus.then(|| {
        evreg_core::catalog::Catalog::from_schema_dir(dir)
            .to_json()
            .to_string()
    });
    model::box_cycles(&mut b.types);
    let code = render(&b, &gens, envelope, &topology, catalog.as_deref(), opts)?;
    Ok(Generated {
        code,
        warnings: b.warnings,
    })
}

fn loaded(v: &layout::VersionFile) -> Result<&SchemaSet, Error> {
    v.schema.as_ref().ok_or_else(|| Error::Layout {
        path: v.path.display().to_string(),
        message: "schema not loaded (use SchemaDir::load)".into(),
    })
}

/// Generates types for one schema file (and the files its `$ref`s reach), outside any registry.
pub fn generate_schema(set: &SchemaSet, name: &str, opts: &Options) -> Result<Generated, Error> {
    let mut b = Builder::new(opts);
    b.modules.insert(set.doc_uri(0).to_owned(), Vec::new());
    let root_name = set
        .document(0)
        .get("title")
        .and_then(Value::as_str)
        .map(names::camel)
        .unwrap_or_else(|| names::camel(name));
    b.named_root(set, &set.root(), &root_name)?;
    model::box_cycles(&mut b.types);
    let mut tree = ModTree::default();
    let em = Emitter {
        types: &b.types,
        opts,
    };
    for t in &b.types {
        tree.add(&t.module, em.type_def(t));
    }
    let code = format(with_helpers(tree.tokens()))?;
    Ok(Generated {
        code,
        warnings: b.warnings,
    })
}

/// Builds the `Envelope<P>` struct from the envelope schema: its `payload` becomes `P`.
fn envelope_type(b: &mut Builder<'_>, env: &SchemaSet) -> Result<model::TypeId, Error> {
    let id = b.named_root(env, &env.root(), "Envelope")?;
    b.types[id].name = "Envelope".to_owned();
    let Def::Struct { fields } = &mut b.types[id].def else {
        return Err(Error::Unsupported {
            file: env.doc_uri(0).to_owned(),
            pointer: String::new(),
            message: "the envelope must be an object schema".into(),
        });
    };
    for want in ["event_type", "event_version", "payload"] {
        if !fields.iter().any(|f| f.json == want && f.required) {
            return Err(Error::Unsupported {
                file: env.doc_uri(0).trim_start_matches("file://").to_owned(),
                pointer: "/properties".into(),
                message: format!("the envelope must require a {want:?} property"),
            });
        }
    }
    for f in fields.iter_mut() {
        if f.json == "payload" {
            f.ty = Ty::Payload;
        }
        if f.json == "event_type" || f.json == "event_version" {
            f.ty = Ty::String;
        }
    }
    Ok(id)
}

/// Builder for build scripts, in prost-build's style.
#[derive(Debug, Clone, Default)]
pub struct Config {
    schemas_dir: Option<PathBuf>,
    schema_file: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    routing_keys: Option<String>,
    schema_roots: Vec<SchemaRoot>,
    options: Options,
}

impl Config {
    pub fn new() -> Config {
        Config::default()
    }

    /// A schema directory (`evreg.toml`, `envelope.json`, `<routing.key>/vN.json`),
    /// or a directory written by `evreg pull` (its `evreg.lock` supplies schema ids).
    pub fn schemas_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.schemas_dir = Some(dir.into());
        self
    }

    /// Where a `$ref` looks when the files given do not hold its target, like
    /// protoc's `-I` (repeatable, searched in order): every JSON file under
    /// `dir` is known by its path and by the `$id`s it declares. `URI=DIR`
    /// mounts a directory at a URI prefix.
    pub fn schema_root(mut self, dir: impl AsRef<std::ffi::OsStr>) -> Self {
        let spec = dir.as_ref().to_string_lossy();
        self.schema_roots
            .push(SchemaRoot::parse(&spec).unwrap_or_else(|_| SchemaRoot::dir(dir.as_ref())));
        self
    }

    /// A single JSON Schema file (with the files its `$ref`s reach) instead of a registry directory.
    pub fn schema_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.schema_file = Some(file.into());
        self
    }

    /// Only routing keys matching this binding pattern (`auth.#`, `catalog.product.*`).
    pub fn routing_keys(mut self, pattern: &str) -> Self {
        self.routing_keys = Some(pattern.to_owned());
        self
    }

    /// An extra derive on every generated type.
    pub fn derive(mut self, path: &str) -> Self {
        self.options.derives.push(path.to_owned());
        self
    }

    /// An extra attribute on every generated type, e.g. `#[non_exhaustive]`.
    pub fn attribute(mut self, attr: &str) -> Self {
        self.options.attributes.push(attr.to_owned());
        self
    }

    pub fn datetime(mut self, krate: DateTimeCrate) -> Self {
        self.options.datetime = krate;
        self
    }

    pub fn uuid(mut self, on: bool) -> Self {
        self.options.uuid = on;
        self
    }

    pub fn url(mut self, on: bool) -> Self {
        self.options.url = on;
        self
    }

    /// Generate `serde_json::Value` (with a warning) where a construct has no Rust type.
    pub fn value_fallback(mut self, on: bool) -> Self {
        self.options.value_fallback = on;
        self
    }

    /// Derive `schemars::JsonSchema` on every type.
    pub fn schemars(mut self, on: bool) -> Self {
        self.options.schemars = on;
        self
    }

    /// Implement `evreg_bus::Event` for every version and embed the message
    /// schemas as `CATALOG`, so the types publish and consume through
    /// evreg-bus (the crate must then depend on `evreg-bus`).
    pub fn bus(mut self, on: bool) -> Self {
        self.options.bus = on;
        self
    }

    /// Where [`Config::compile`] writes (default: `$OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The file [`Config::compile`] writes (default: `events.rs`).
    pub fn file_name(mut self, name: &str) -> Self {
        self.file_name = Some(name.to_owned());
        self
    }

    fn options(&self) -> Result<Options, Error> {
        let mut o = self.options.clone();
        if let Some(p) = &self.routing_keys {
            o.routing_keys = Some(
                BindingPattern::new(p)
                    .map_err(|e| Error::Config(format!("routing_keys({p:?}): {e}")))?,
            );
        }
        Ok(o)
    }

    /// Reads the schemas and returns the generated source with the files read.
    pub fn generate(&self) -> Result<(Generated, Vec<PathBuf>), Error> {
        let opts = self.options()?;
        match (&self.schemas_dir, &self.schema_file) {
            (Some(dir), None) => {
                let layout = SchemaDir::load_with(&Disk, dir, &self.schema_roots)?;
                let ids = read_lock(dir)?;
                let mut read = layout.read.clone();
                if layout.roots.indexed_files() > 0 {
                    read.extend(layout.roots.list().iter().map(|r| r.dir.clone()));
                }
                for s in &layout.subjects {
                    for v in &s.versions {
                        read.extend(
                            v.schema
                                .iter()
                                .flat_map(|set| set.documents())
                                .filter_map(|(u, _)| layout::uri_path(u)),
                        );
                    }
                    read.extend(s.examples.iter().cloned());
                }
                let lock = dir.join("evreg.lock");
                if lock.is_file() {
                    read.push(lock);
                }
                read.sort();
                read.dedup();
                Ok((generate(&layout, &ids, &opts)?, read))
            }
            (None, Some(file)) => {
                let roots = Roots::new(self.schema_roots.clone());
                let set = roots.load(&Disk, file)?;
                let stem = file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("Schema");
                let mut read: Vec<PathBuf> = set
                    .documents()
                    .filter_map(|(u, _)| layout::uri_path(u))
                    .collect();
                if roots.indexed_files() > 0 {
                    read.extend(roots.list().iter().map(|r| r.dir.clone()));
                }
                Ok((generate_schema(&set, stem, &opts)?, read))
            }
            _ => Err(Error::Config(
                "set exactly one of schemas_dir() and schema_file()".into(),
            )),
        }
    }

    /// Generates, writes `$OUT_DIR/events.rs`, and tells cargo which files to watch.
    pub fn compile(&self) -> Result<(), Error> {
        let (generated, read) = self.generate()?;
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(std::env::var_os("OUT_DIR").ok_or_else(|| {
                Error::Config(
                    "OUT_DIR is not set: call compile() from a build script, or set out_dir()"
                        .into(),
                )
            })?),
        };
        let path = out_dir.join(self.file_name.as_deref().unwrap_or("events.rs"));
        write_if_changed(&path, &generated.code)?;
        for f in read {
            println!("cargo:rerun-if-changed={}", f.display());
        }
        for w in generated.warnings {
            println!("cargo:warning=evreg-codegen: {w}");
        }
        Ok(())
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half
/// a file; an unchanged file is not touched (so cargo does not rebuild).
pub fn write_if_changed(path: &Path, text: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let io = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Schema ids from `evreg.lock` ([`evreg_core::layout::Lock`]).
fn read_lock(dir: &Path) -> Result<SchemaIds, Error> {
    let path = dir.join(Lock::FILE);
    let mut ids = SchemaIds::new();
    if !path.is_file() {
        return Ok(ids);
    }
    let text = Disk.read(&path).map_err(|message| Error::Layout {
        path: path.display().to_string(),
        message,
    })?;
    for e in Lock::parse(&path, &text)?.subjects {
        ids.insert((e.subject, e.version), e.id);
    }
    Ok(ids)
}

/// Reads files from disk for [`Config`] (and for the `evreg` binary).
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Source for Disk {
    fn read(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
        if meta.len() > layout::MAX_FILE_BYTES {
            return Err(format!(
                "file is {} bytes; at most {} are read",
                meta.len(),
                layout::MAX_FILE_BYTES
            ));
        }
        std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
    }

    fn list(&self, dir: &Path) -> Result<Vec<(String, bool)>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list: {e}"))?;
        let mut out = Vec::new();
        for e in entries {
            let e = e.map_err(|e| format!("cannot list: {e}"))?;
            out.push((
                e.file_name().to_string_lossy().into_owned(),
                e.path().is_dir(),
            ));
        }
        Ok(out)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Includes the generated file: `mod events { evreg_codegen::include_events!(); }`.
#[macro_export]
macro_rules! include_events {
    () => {
        include!(concat!(env!("OUT_DIR"), "/events.rs"));
    };
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}
