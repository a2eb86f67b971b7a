//! Real public schema sets in `$EVREG_CORPUS_DIR` (SchemaStore, AsyncAPI's definitions, the JSON Schema Test Suite): every reference resolves, codegen covers them, versioned families diff, and the suite's reference cases validate, diff and register.
//!
//! Opt-in: without the variable each test prints why it skips and passes.
//! Each test prints its figures (run with `--nocapture` to see them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use evreg_codegen::{Config, Disk};
use evreg_core::compat::check_within;
use evreg_core::roots::{Roots, SchemaRoot};
use evreg_core::schema::Validator;
use evreg_core::{Mode, Policy, SchemaSet, Verdict, check};

/// The step budget of each family diff: a tenth of `evreg diff`'s, so the
/// few hardest pairs answer `unknown` in seconds instead of half a minute
/// (the survey counts them) and the suite stays inside CI's time.
const SURVEY_STEPS: usize = evreg_core::compat::STEPS / 10;
use serde_json::{Value, json};

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("EVREG_CORPUS_DIR") {
        Some(d) => Some(PathBuf::from(d)),
        None => {
            eprintln!("skipped: set EVREG_CORPUS_DIR to the corpus folder to run the corpus tests");
            None
        }
    }
}

/// `.json` files directly in `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus folder is readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    v.sort();
    v
}

/// The cause of an error, without the file and pointer that vary per case.
fn cause(message: &str) -> String {
    let m = message.lines().next().unwrap_or_default();
    // `file#/pointer: cause` → `cause`; quoted names and numbers → placeholders.
    let m = m.rsplit_once("#/").map_or(m, |(_, rest)| rest);
    let m = m.split_once(": ").map_or(m, |(_, rest)| rest);
    // Paths name where the corpus sits on this machine: keep the file name.
    let m: Vec<&str> = m
        .split(' ')
        .map(|w| match w.strip_prefix("file://").unwrap_or(w) {
            p if p.starts_with('/') => p.rsplit('/').next().unwrap_or(p),
            _ => w,
        })
        .collect();
    let m = m.join(" ");
    let mut out = String::new();
    let mut in_quote = false;
    for c in m.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                if in_quote {
                    out.push_str("\"…\"");
                }
            }
            _ if in_quote => {}
            c if c.is_ascii_digit() => {
                if !out.ends_with('N') {
                    out.push('N');
                }
            }
            c => out.push(c),
        }
    }
    out.chars().take(140).collect()
}

/// The document a load error says is missing (`no document URI on disk`).
fn missing_document(message: &str) -> Option<&str> {
    let rest = message.split("no document ").nth(1)?;
    rest.split(" on disk").next()
}

/// `file: what is wrong`, for a snapshot of the files that cannot load:
/// a missing document's URI, or the error's cause.
fn failure_line(file: &Path, message: &str) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match missing_document(message) {
        Some(uri) => format!("{name}: missing {uri}"),
        None => format!("{name}: {}", cause(message)),
    }
}

fn print_tally(title: &str, t: &BTreeMap<String, usize>) {
    eprintln!("{title}:");
    let mut v: Vec<(&String, &usize)> = t.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (k, n) in v {
        eprintln!("  {n:>5}  {k}");
    }
}

/// A family name and version of a versioned file name (`sarif-2.1.0.json`,
/// `abc-1.0.0.json`, `foo-v2.json`); `None` for a file without a version.
fn family(name: &str) -> Option<(String, Vec<u64>)> {
    let stem = name.strip_suffix(".json")?;
    let bytes = stem.as_bytes();
    // The version is the last run of digits and dots after a `-`, `_` or `v`.
    let mut start = None;
    for (i, w) in bytes.windows(2).enumerate() {
        if matches!(w[0], b'-' | b'_' | b'v') && w[1].is_ascii_digit() {
            start = Some(i + 1);
        }
    }
    let start = start?;
    let tail = &stem[start..];
    let version: Vec<u64> = tail
        .split(['.', '-'])
        .map_while(|p| p.parse().ok())
        .collect();
    if version.is_empty() {
        return None;
    }
    let name = stem[..start].trim_end_matches(['-', '_', 'v']).to_owned();
    Some((name, version))
}

/// Whether the family diffs run: they take minutes (a few pairs exhaust
/// the budget), so they are opt-in with `EVREG_CORPUS_DIFFS=1`.
fn diffs_wanted() -> bool {
    let on = std::env::var_os("EVREG_CORPUS_DIFFS").is_some();
    if !on {
        eprintln!("family diffs skipped: set EVREG_CORPUS_DIFFS=1 to diff each versioned family");
    }
    on
}

#[derive(Default)]
struct Diffs {
    pairs: usize,
    verdicts: BTreeMap<String, usize>,
    errors: BTreeMap<String, usize>,
    /// The slowest pairs: (seconds, old file, new file).
    slowest: Vec<(f64, String, String)>,
}

impl Diffs {
    fn diff(&mut self, roots: &Roots, old: &Path, new: &Path) {
        let started = std::time::Instant::now();
        if std::env::var_os("EVREG_CORPUS_TRACE").is_some() {
            eprintln!("diff {} -> {}", old.display(), new.display());
        }
        self.check(roots, old, new);
        let name = |p: &Path| {
            let parent = p.parent().and_then(Path::file_name).unwrap_or_default();
            format!(
                "{}/{}",
                parent.to_string_lossy(),
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        };
        self.slowest
            .push((started.elapsed().as_secs_f64(), name(old), name(new)));
        self.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.slowest.truncate(3);
    }

    fn check(&mut self, roots: &Roots, old: &Path, new: &Path) {
        self.pairs += 1;
        let loaded = roots
            .load(&Disk, old)
            .and_then(|o| Ok((o, roots.load(&Disk, new)?)));
        let (o, n) = match loaded {
            Ok(pair) => pair,
            Err(e) => {
                *self
                    .errors
                    .entry(format!("load: {}", cause(&e.to_string())))
                    .or_default() += 1;
                return;
            }
        };
        match check_within(&o, &n, Mode::Full, Policy::Strict, SURVEY_STEPS) {
            Ok(r) => {
                *self
                    .verdicts
                    .entry(r.verdict.as_str().to_owned())
                    .or_default() += 1
            }
            Err(e) => {
                *self
                    .errors
                    .entry(format!("check: {}", cause(&e.to_string())))
                    .or_default() += 1
            }
        }
    }

    /// Every pair diffs, unless one side cannot load for a document the corpus lacks or holds twice.
    fn assert_only_missing_documents(&self) {
        let other: Vec<&String> = self
            .errors
            .keys()
            // A reference to a document the corpus does not hold (remote
            // bindings, extensions), or one two of its files claim (SARIF):
            // errors the loader must give, not failures to diff.
            .filter(|k| {
                !(k.starts_with("load: ")
                    && (k.contains("no document") || k.contains("by two different documents")))
            })
            .collect();
        assert!(other.is_empty(), "pairs that fail to diff: {other:#?}");
    }

    fn print(&self, title: &str) {
        eprintln!("{title}: {} consecutive pairs", self.pairs);
        print_tally("  verdicts", &self.verdicts);
        print_tally("  errors by cause", &self.errors);
        eprintln!("  slowest pairs:");
        for (secs, old, new) in &self.slowest {
            eprintln!("    {secs:7.2} s  {old} -> {new}");
        }
    }
}

/// SchemaStore: every file's references resolve with the folder as schema
/// root; each versioned family's consecutive versions diff.
#[test]
fn schemastore_references_resolve_and_families_diff() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("schemastore");
    let roots = Roots::new(vec![SchemaRoot::dir(&dir)]);
    let files = json_files(&dir);
    let mut failures: Vec<String> = Vec::new();
    let mut loaded = 0;
    for f in &files {
        let result = roots
            .load(&Disk, f)
            .map_err(|e| e.to_string())
            .and_then(|set| Validator::new(&set).map_err(|e| e.to_string()));
        match result {
            Ok(_) => loaded += 1,
            Err(e) => failures.push(failure_line(f, &e)),
        }
    }
    eprintln!(
        "schemastore: {} files, {loaded} load (every reference resolved) and compile",
        files.len()
    );
    // What cannot load: documents SchemaStore names but does not hold
    // (remote URLs), a draft-04 file using `$id` (an annotation there), and
    // two files claiming one `$id` a reference needs.
    expect_test::expect_file!["corpus-schemastore-failures.txt"]
        .assert_eq(&(failures.join("\n") + "\n"));
    let mut families: BTreeMap<String, Vec<(Vec<u64>, PathBuf)>> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Some((fam, v)) = family(name) {
            families.entry(fam).or_default().push((v, f.clone()));
        }
    }
    if !diffs_wanted() {
        return;
    }
    let mut diffs = Diffs::default();
    for members in families.values_mut().filter(|m| m.len() > 1) {
        members.sort();
        for w in members.windows(2) {
            diffs.diff(&roots, &w[0].1, &w[1].1);
        }
    }
    diffs.print("schemastore families");
    assert!(diffs.pairs > 50, "SchemaStore has many versioned families");
    diffs.assert_only_missing_documents();
}

/// AsyncAPI's definitions refer to each other by absolute `$id`: with the
/// definitions folder as schema root every one loads, and each definition
/// diffs across consecutive spec versions.
#[test]
fn asyncapi_definitions_resolve_by_id_and_diff_across_versions() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("asyncapi").join("definitions");
    let roots = Roots::new(vec![SchemaRoot::dir(&dir)]);
    let mut versions: Vec<(Vec<u64>, String)> = std::fs::read_dir(&dir)
        .expect("definitions")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let mut key: Vec<u64> = name
                .split(['.', '-'])
                .map(|p| p.trim_start_matches("rc").parse().unwrap_or(0))
                .collect();
            // 2.0.0-rc1 sorts before 2.0.0.
            if !name.contains("rc") {
                key.push(u64::MAX);
            }
            (key, name)
        })
        .collect();
    versions.sort();
    let mut by_name: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let (mut files, mut loaded) = (0, 0);
    let mut failures: Vec<String> = Vec::new();
    for (_, v) in &versions {
        for f in json_files(&dir.join(v)) {
            files += 1;
            match roots
                .load(&Disk, &f)
                .map_err(|e| e.to_string())
                .and_then(|s| Validator::new(&s).map_err(|e| e.to_string()))
            {
                Ok(_) => loaded += 1,
                Err(e) => failures.push(format!("{v}/{}", failure_line(&f, &e))),
            }
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            by_name.entry(name.unwrap_or_default()).or_default().push(f);
        }
    }
    eprintln!(
        "asyncapi: {files} definitions in {} versions, {loaded} load and compile",
        versions.len()
    );
    // The corpus holds `definitions/` only: what refers to the bindings and
    // extensions schemas (and to `avroSchema_v1.json`, absent upstream) cannot
    // load, and says which document it misses; nothing fails otherwise.
    let outside: Vec<&String> = failures
        .iter()
        .filter(|f| !f.contains(": missing http://asyncapi.com/"))
        .collect();
    assert!(
        outside.is_empty(),
        "definitions fail to load for other reasons: {outside:#?}"
    );
    assert!(roots.indexed_files() > 0, "the $id index was used");
    assert!(
        loaded * 10 >= files * 9,
        "most AsyncAPI definitions load and compile"
    );
    if !diffs_wanted() {
        return;
    }
    let mut diffs = Diffs::default();
    for paths in by_name.values() {
        for w in paths.windows(2) {
            diffs.diff(&roots, &w[0], &w[1]);
        }
    }
    diffs.print("asyncapi definitions across versions");
    diffs.assert_only_missing_documents();
}

/// The draft a test-suite folder is written for.
fn suite_dialect(folder: &str) -> Option<&'static str> {
    Some(match folder {
        "draft4" => "http://json-schema.org/draft-04/schema#",
        "draft6" => "http://json-schema.org/draft-06/schema#",
        "draft7" => "http://json-schema.org/draft-07/schema#",
        "draft2019-09" => "https://json-schema.org/draft/2019-09/schema",
        "draft2020-12" => "https://json-schema.org/draft/2020-12/schema",
        _ => return None,
    })
}

/// The JSON Schema Test Suite's reference cases (`ref`, `refRemote`, `id`,
/// `anchor`, `defs`, `dynamicRef`, `recursiveRef`, `unknownKeyword`), with
/// `remotes/` mounted at `http://localhost:1234/`: every schema loads, the
/// validator built from evreg's set agrees with every label, and every
/// schema is compatible with itself.
#[test]
fn test_suite_reference_cases_load_validate_and_diff() {
    let Some(dir) = corpus() else { return };
    let suite = dir.join("json-schema-test-suite");
    let roots = Roots::new(vec![SchemaRoot {
        dir: suite.join("remotes"),
        prefix: Some("http://localhost:1234/".into()),
    }]);
    let wanted = [
        "ref.json",
        "refRemote.json",
        "id.json",
        "anchor.json",
        "defs.json",
        "dynamicRef.json",
        "recursiveRef.json",
        "unknownKeyword.json",
    ];
    let (mut schemas, mut loaded, mut instances, mut agree) = (0, 0, 0, 0);
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements: Vec<String> = Vec::new();
    let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
    for folder in ["draft4", "draft6", "draft7", "draft2019-09", "draft2020-12"] {
        let dialect = suite_dialect(folder).expect("known folder");
        for name in wanted {
            let path = suite.join("tests").join(folder).join(name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let groups: Vec<Value> = serde_json::from_str(&text).expect("suite file is JSON");
            for (gi, group) in groups.iter().enumerate() {
                schemas += 1;
                let mut schema = group["schema"].clone();
                if let Value::Object(m) = &mut schema {
                    m.entry("$schema").or_insert(json!(dialect));
                }
                let uri = format!("file:///suite/{folder}/{name}/{gi}.json");
                let set = SchemaSet::new(&uri, schema)
                    .map_err(|e| e.to_string())
                    .and_then(|mut s| {
                        roots.complete(&Disk, &mut s).map_err(|e| e.to_string())?;
                        Ok(s)
                    });
                let validator = set
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|s| Validator::new(s).map_err(|e| e.to_string()));
                let (set, validator) = match (set, validator) {
                    (Ok(s), Ok(v)) => (s, v),
                    (Err(e), _) | (_, Err(e)) => {
                        *errors.entry(cause(&e)).or_default() += 1;
                        disagreements.push(format!("{folder}/{name} #{gi}: {e}"));
                        continue;
                    }
                };
                loaded += 1;
                for t in group["tests"].as_array().into_iter().flatten() {
                    instances += 1;
                    let expected = t["valid"].as_bool().expect("label");
                    if validator.is_valid(&t["data"]) == expected {
                        agree += 1;
                    } else {
                        disagreements.push(format!(
                            "{folder}/{name} #{gi} {:?}: expected valid={expected}",
                            t["description"]
                        ));
                    }
                }
                let verdict = match check(&set, &set, Mode::Full, Policy::Strict) {
                    Ok(r) => r.verdict.as_str().to_owned(),
                    Err(e) => format!("error: {}", cause(&e.to_string())),
                };
                if verdict == Verdict::Incompatible.as_str() {
                    disagreements.push(format!("{folder}/{name} #{gi}: incompatible with itself"));
                }
                *verdicts.entry(verdict).or_default() += 1;
            }
        }
    }
    eprintln!(
        "test suite reference cases: {schemas} schemas, {loaded} load and compile; {agree} of {instances} labels agree"
    );
    print_tally("  errors by cause", &errors);
    print_tally("  each schema against itself (FULL, STRICT)", &verdicts);
    for d in &disagreements {
        eprintln!("  disagreement: {d}");
    }
    assert_eq!(loaded, schemas, "every reference case loads");
    assert_eq!(
        agree, instances,
        "the validator over evreg's set agrees with the suite"
    );
    assert!(
        !verdicts.contains_key(Verdict::Incompatible.as_str()),
        "no schema is incompatible with itself"
    );
}

/// Codegen over SchemaStore with the folder as schema root: how many files
/// generate, which constructs fall back to `serde_json::Value`, and the
/// errors by cause. The generated code is written to
/// `target/corpus-gen/` for the compile check `.ci/run` runs.
#[test]
fn schemastore_generates() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("schemastore");
    let out_dir = crate::support::repo().join("target").join("corpus-gen");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(out_dir.join("src")).expect("mkdir");
    let mut generated = 0;
    let mut lines = 0;
    let mut fallbacks: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut modules = String::new();
    let files = json_files(&dir);
    for (i, f) in files.iter().enumerate() {
        let result = Config::new()
            .schema_file(f)
            .schema_root(&dir)
            .value_fallback(true)
            .generate();
        match result {
            Ok((g, _)) => {
                generated += 1;
                lines += g.code.lines().count();
                for w in &g.warnings {
                    let why = w
                        .rsplit_once(": ")
                        .map_or(w.as_str(), |(_, why)| why)
                        .trim_end_matches("; using serde_json::Value");
                    *fallbacks.entry(cause(why)).or_default() += 1;
                }
                let module = format!("s{i:04}");
                std::fs::write(out_dir.join("src").join(format!("{module}.rs")), &g.code)
                    .expect("write generated");
                modules.push_str(&format!("pub mod {module};\n"));
            }
            Err(e) => *errors.entry(cause(&e.to_string())).or_default() += 1,
        }
    }
    std::fs::write(
        out_dir.join("src").join("lib.rs"),
        format!("#![allow(warnings, clippy::all)]\n{modules}"),
    )
    .expect("write lib.rs");
    eprintln!(
        "schemastore codegen: {} files, {generated} generated ({lines} lines)",
        files.len()
    );
    print_tally("  serde_json::Value fallbacks by construct", &fallbacks);
    print_tally("  errors by cause", &errors);
    assert!(
        generated * 10 >= files.len() * 9,
        "at least 90% of SchemaStore generates"
    );
}

#[test]
fn family_names_and_versions() {
    assert_eq!(
        family("sarif-2.1.0.json"),
        Some(("sarif".into(), vec![2, 1, 0]))
    );
    assert_eq!(
        family("abc-clinical-demand-forecast-5.0.0.json"),
        Some(("abc-clinical-demand-forecast".into(), vec![5, 0, 0]))
    );
    assert_eq!(family("foo-v2.json"), Some(("foo".into(), vec![2])));
    assert_eq!(family("package.json"), None);
}

/// evreg's resolver against `referencing` (the `jsonschema` crate's own) on
/// every `$ref` of a set: the same target schema and the same base URI there.
/// Returns the references compared and the disagreements.
fn resolvers_agree(set: &SchemaSet) -> (usize, Vec<String>) {
    let (contents, names) = evreg_core::schema::validator_resources(set);
    let draft = |i: usize| {
        use evreg_core::schema::Dialect;
        match set.dialect(i) {
            Dialect::Draft4 => referencing::Draft::Draft4,
            Dialect::Draft6 => referencing::Draft::Draft6,
            Dialect::Draft7 => referencing::Draft::Draft7,
            Dialect::Draft201909 => referencing::Draft::Draft201909,
            Dialect::Draft202012 => referencing::Draft::Draft202012,
        }
    };
    let mut resources: Vec<(String, referencing::ResourceRef<'_>)> = vec![(
        set.doc_uri(0).to_owned(),
        draft(0).create_resource_ref(&contents[0]),
    )];
    resources.extend(
        names
            .iter()
            .map(|(u, i)| (u.clone(), draft(*i).create_resource_ref(&contents[*i]))),
    );
    let registry = match referencing::Registry::new()
        .extend(resources)
        .and_then(|r| r.prepare())
    {
        Ok(r) => r,
        Err(e) => return (0, vec![format!("referencing refuses the set: {e}")]),
    };
    let mut compared = 0;
    let mut out = Vec::new();
    for r in set.references() {
        if r.keyword != "$ref" {
            continue; // dynamic references depend on the dynamic scope
        }
        let ours = set.resolve(&r.at, &r.reference);
        let Ok(base) = referencing::uri::from_str(&r.at.base) else {
            out.push(format!("{}: base {} is not a URI", r.reference, r.at.base));
            continue;
        };
        let theirs = registry.resolver(base).lookup(&r.reference);
        compared += 1;
        match (ours, theirs) {
            (Ok(loc), Ok(resolved)) => {
                let our_value = set.get(&loc).map(|v| strip_ids(v.clone()));
                let their_value = strip_ids(resolved.contents().clone());
                if our_value.as_ref() != Some(&their_value) {
                    out.push(format!(
                        "{} at {}#{}: evreg resolves to {}#{}, a different schema",
                        r.reference,
                        set.doc_uri(r.at.doc),
                        r.at.pointer,
                        set.doc_uri(loc.doc),
                        loc.pointer
                    ));
                } else if *loc.base != *resolved.resolver().base_uri().as_str() {
                    out.push(format!(
                        "{} at {}#{}: base URI {} (evreg) vs {} (referencing)",
                        r.reference,
                        set.doc_uri(r.at.doc),
                        r.at.pointer,
                        loc.base,
                        resolved.resolver().base_uri().as_str()
                    ));
                }
            }
            (Err(e), Ok(_)) => out.push(format!("only referencing resolves: {e}")),
            (Ok(_), Err(e)) => out.push(format!(
                "only evreg resolves {} at {}#{}: {e}",
                r.reference,
                set.doc_uri(r.at.doc),
                r.at.pointer
            )),
            (Err(_), Err(_)) => {}
        }
    }
    (compared, out)
}

/// A schema without the identifiers the validator's registry adds.
fn strip_ids(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.remove("$id");
        m.remove("id");
    }
    v
}

/// evreg's model and the validator resolve every `$ref` of every corpus set
/// to the same schema with the same base URI.
#[test]
fn references_resolve_as_the_validator_resolves_them() {
    let Some(dir) = corpus() else { return };
    let mut sets: Vec<SchemaSet> = Vec::new();
    let store = dir.join("schemastore");
    let roots = Roots::new(vec![SchemaRoot::dir(&store)]);
    sets.extend(
        json_files(&store)
            .iter()
            .filter_map(|f| roots.load(&Disk, f).ok()),
    );
    let defs = dir.join("asyncapi").join("definitions");
    let roots = Roots::new(vec![SchemaRoot::dir(&defs)]);
    for v in std::fs::read_dir(&defs).expect("definitions").flatten() {
        sets.extend(
            json_files(&v.path())
                .iter()
                .filter_map(|f| roots.load(&Disk, f).ok()),
        );
    }
    let (mut compared, mut disagreements) = (0, Vec::new());
    for set in &sets {
        let (n, d) = resolvers_agree(set);
        compared += n;
        disagreements.extend(d);
    }
    eprintln!(
        "resolver differential: {} sets, {compared} $refs, {} disagreements",
        sets.len(),
        disagreements.len()
    );
    for d in disagreements.iter().take(20) {
        eprintln!("  {d}");
    }
    assert!(compared > 1000);
    assert!(
        disagreements.is_empty(),
        "{} disagreements",
        disagreements.len()
    );
}
