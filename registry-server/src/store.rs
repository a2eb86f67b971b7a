//! Storage of subjects, versions, schemas and settings on SQLite or PostgreSQL (sqlx); every write is one transaction.
//!
//! One `Store` type over both databases: the SQL text is shared (`$N`
//! parameters work on both) and each method is written once; the `on!` macro
//! instantiates it for whichever pool is open. Only the registration lock
//! differs: PostgreSQL takes a per-subject advisory lock, SQLite its single
//! write lock.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Postgres, Row, Sqlite, Transaction};

/// The registry's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// SQLite has one writer: registrations queue here, in order, instead of
    /// spinning in SQLite's busy handler (which starves some writers).
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! on {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

pub use evreg_api::Reference;

/// Stored content: the schema text as first registered (compact JSON, key
/// order kept, as Confluent returns it), its references, and the hash that
/// identifies it. Immutable once stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub schema: Arc<str>,
    pub references: Vec<Reference>,
    /// SHA-256 of the canonical JSON (keys sorted) and the references: equal
    /// schemas written differently get the same hash, and so the same id.
    pub hash: String,
}

impl Content {
    /// The content of `set`'s root document: its text keeps every digit of
    /// integers past 64 bits, which the parsed value holds only as `f64`s.
    pub fn new(set: &evreg_core::schema::SchemaSet, references: Vec<Reference>) -> Content {
        let mut h = Sha256::new();
        h.update(set.document_text(0, true).as_bytes());
        for r in &references {
            h.update(b"\0");
            h.update(r.name.as_bytes());
            h.update(b"\0");
            h.update(r.subject.as_bytes());
            h.update(b"\0");
            h.update(r.version.to_string().as_bytes());
        }
        Content {
            schema: set.document_text(0, false).into(),
            references,
            hash: hex(&h.finalize()),
        }
    }
}

/// One version of a subject: its number, schema id and deletion state
/// (0 live, 1 soft-deleted).
/// A subject in a listing: its latest live version and that version's schema id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectSummary {
    pub subject: String,
    pub latest: i64,
    pub id: i64,
    pub versions: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionId {
    pub version: i64,
    pub id: i64,
    pub deleted: bool,
}

/// Lower-case hex of bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex SHA-256 of `bytes`: how tokens files and lock files name content.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Ids of schemas, registered as live versions, that reference version `$2` of subject `$1`.
const REFERENCED_BY: &str = "SELECT DISTINCT r.schema_id FROM schema_references r \
     JOIN subject_versions v ON v.schema_id = r.schema_id AND v.deleted = 0 \
     WHERE r.subject = $1 AND r.version = $2 ORDER BY r.schema_id";
const SCHEMA: &str = "SELECT schema, hash FROM schemas WHERE id = $1";
const REFERENCES: &str =
    "SELECT name, subject, version FROM schema_references WHERE schema_id = $1 ORDER BY position";
/// Versions of subject `$1` not permanently deleted (soft-deleted ones too when `$2` is 1), oldest first.
const VERSIONS: &str = "SELECT version, schema_id, deleted FROM subject_versions \
     WHERE subject = $1 AND deleted <= $2 ORDER BY version";

fn version_id<R: Row>(r: &R) -> VersionId
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    VersionId {
        version: r.get(0),
        id: r.get(1),
        deleted: r.get::<i64, _>(2) != 0,
    }
}

fn reference<R: Row>(r: &R) -> Reference
where
    usize: sqlx::ColumnIndex<R>,
    i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Reference {
        name: r.get(0),
        subject: r.get(1),
        version: r.get(2),
    }
}

impl Store {
    /// Opens a database and runs its migrations: `sqlite://PATH` (created
    /// when missing), `sqlite::memory:`, or `postgres://...`.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            return Ok(Store {
                db: Db::Postgres(pool),
                sqlite_writer: Arc::default(),
            });
        }
        if !url.starts_with("sqlite:") {
            return Err(sqlx::Error::Configuration(
                format!("{url}: expected sqlite://PATH, sqlite::memory: or postgres://...").into(),
            ));
        }
        let memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // An acknowledged registration survives a crash of the process
            // (WAL + NORMAL loses only on power failure; FULL not even then).
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        // One connection for an in-memory database (each connection would be its own database).
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store {
            db: Db::Sqlite(pool),
            sqlite_writer: Arc::default(),
        })
    }

    /// Which database this is, for logs and metrics.
    pub fn dialect(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection; later queries fail (as when the database goes away).
    pub async fn close(&self) {
        on!(&self.db, p => p.close().await)
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(drop))
    }

    /// Subjects with a live version (or a soft-deleted one when `deleted`).
    pub async fn subjects(&self, deleted: bool) -> Result<Vec<String>, sqlx::Error> {
        let sql =
            "SELECT DISTINCT subject FROM subject_versions WHERE deleted <= $1 ORDER BY subject";
        on!(&self.db, p => {
            let rows = sqlx::query(sql).bind(i64::from(deleted)).fetch_all(p).await?;
            Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
        })
    }

    /// A subject's versions, oldest first: live ones, and soft-deleted ones too when `deleted`.
    pub async fn versions(
        &self,
        subject: &str,
        deleted: bool,
    ) -> Result<Vec<VersionId>, sqlx::Error> {
        on!(&self.db, p => {
            let rows = sqlx::query(VERSIONS).bind(subject).bind(i64::from(deleted)).fetch_all(p).await?;
            Ok(rows.iter().map(version_id).collect())
        })
    }

    /// The content with id `id`.
    pub async fn content(&self, id: i64) -> Result<Option<Content>, sqlx::Error> {
        on!(&self.db, p => {
            let Some(row) = sqlx::query(SCHEMA).bind(id).fetch_optional(p).await? else {
                return Ok(None);
            };
            let refs = sqlx::query(REFERENCES).bind(id).fetch_all(p).await?;
            Ok(Some(Content {
                schema: row.get::<String, _>(0).into(),
                references: refs.iter().map(reference).collect(),
                hash: row.get(1),
            }))
        })
    }

    /// Starts a registration under `subject`: a transaction holding the
    /// subject's write lock, so concurrent registrations to it serialise
    /// (across processes too).
    pub async fn begin_register(&self, subject: &str) -> Result<Registration, sqlx::Error> {
        let mut queued = None;
        let tx = match &self.db {
            Db::Sqlite(p) => {
                queued = Some(self.sqlite_writer.clone().lock_owned().await);
                let mut tx = p.begin().await?;
                // Take SQLite's write lock before reading, so no other writer slips in between.
                sqlx::query("UPDATE config SET compatibility = compatibility WHERE 0")
                    .execute(&mut *tx)
                    .await?;
                Tx::Sqlite(tx)
            }
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7215))")
                    .bind(subject)
                    .execute(&mut *tx)
                    .await?;
                Tx::Postgres(tx)
            }
        };
        Ok(Registration {
            tx,
            subject: subject.to_owned(),
            _queued: queued,
        })
    }

    /// Whether the subject (or one version of it) exists in the given deletion state (0 live, 1 soft-deleted).
    pub async fn has(
        &self,
        subject: &str,
        version: Option<i64>,
        deleted: i64,
    ) -> Result<bool, sqlx::Error> {
        let sql = "SELECT 1 FROM subject_versions WHERE subject = $1 AND deleted = $2 AND ($3 IS NULL OR version = $3) LIMIT 1";
        on!(&self.db, p => {
            let row = sqlx::query(sql).bind(subject).bind(deleted).bind(version).fetch_optional(p).await?;
            Ok(row.is_some())
        })
    }

    /// (subject, version) pairs that use schema `id`: live ones, and soft-deleted ones too when `deleted`.
    pub async fn uses_of(&self, id: i64, deleted: bool) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let sql = "SELECT subject, version FROM subject_versions WHERE schema_id = $1 AND deleted <= $2 ORDER BY subject, version";
        on!(&self.db, p => {
            let rows = sqlx::query(sql).bind(id).bind(i64::from(deleted)).fetch_all(p).await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    /// Ids of schemas, registered as live versions, that reference (subject, version).
    pub async fn referenced_by(
        &self,
        subject: &str,
        version: i64,
    ) -> Result<Vec<i64>, sqlx::Error> {
        on!(&self.db, p => {
            let rows = sqlx::query(REFERENCED_BY).bind(subject).bind(version).fetch_all(p).await?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// Every subject with a live version: its latest version, that version's
    /// schema id and how many live versions it has, in one query (the UI's
    /// subject list must not ask once per subject).
    pub async fn latest_versions(&self) -> Result<Vec<SubjectSummary>, sqlx::Error> {
        let sql = "SELECT v.subject, v.version, v.schema_id, n.versions FROM subject_versions v \
                   JOIN (SELECT subject, MAX(version) AS latest, COUNT(*) AS versions \
                         FROM subject_versions WHERE deleted = 0 GROUP BY subject) n \
                   ON n.subject = v.subject AND n.latest = v.version ORDER BY v.subject";
        on!(&self.db, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            Ok(rows.iter().map(|r| SubjectSummary {
                subject: r.get(0),
                latest: r.get(1),
                id: r.get(2),
                versions: r.get(3),
            }).collect())
        })
    }

    /// Every compatibility setting: (subject, compatibility, policy); `""` is the global one.
    pub async fn configs(&self) -> Result<Vec<(String, String, Option<String>)>, sqlx::Error> {
        let sql = "SELECT subject, compatibility, policy FROM config ORDER BY subject";
        on!(&self.db, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
        })
    }

    /// Every mode setting: (subject, mode); `""` is the global one.
    pub async fn modes(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        on!(&self.db, p => {
            let rows = sqlx::query("SELECT subject, mode FROM modes ORDER BY subject").fetch_all(p).await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    /// (compatibility, policy) set for a subject, or globally for `""`.
    pub async fn config(
        &self,
        subject: &str,
    ) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
        let sql = "SELECT compatibility, policy FROM config WHERE subject = $1";
        on!(&self.db, p => {
            let row = sqlx::query(sql).bind(subject).fetch_optional(p).await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    pub async fn set_config(
        &self,
        subject: &str,
        compatibility: &str,
        policy: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = "INSERT INTO config (subject, compatibility, policy) VALUES ($1, $2, $3) \
                   ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility, \
                   policy = COALESCE(excluded.policy, config.policy)";
        on!(&self.db, p => {
            sqlx::query(sql).bind(subject).bind(compatibility).bind(policy).execute(p).await?;
            Ok(())
        })
    }

    /// Removes a subject's (or, for `""`, the global) config; true when there was one.
    pub async fn delete_config(&self, subject: &str) -> Result<bool, sqlx::Error> {
        on!(&self.db, p => {
            let done = sqlx::query("DELETE FROM config WHERE subject = $1").bind(subject).execute(p).await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// The mode set for a subject, or globally for `""`.
    pub async fn mode(&self, subject: &str) -> Result<Option<String>, sqlx::Error> {
        on!(&self.db, p => {
            let row = sqlx::query("SELECT mode FROM modes WHERE subject = $1").bind(subject).fetch_optional(p).await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    pub async fn set_mode(&self, subject: &str, mode: &str) -> Result<(), sqlx::Error> {
        let sql = "INSERT INTO modes (subject, mode) VALUES ($1, $2) \
                   ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode";
        on!(&self.db, p => {
            sqlx::query(sql).bind(subject).bind(mode).execute(p).await?;
            Ok(())
        })
    }

    /// Removes a subject's mode; true when there was one.
    pub async fn delete_mode(&self, subject: &str) -> Result<bool, sqlx::Error> {
        on!(&self.db, p => {
            let done = sqlx::query("DELETE FROM modes WHERE subject = $1").bind(subject).execute(p).await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Consistency check for tests and operators: every version points at a
    /// stored schema, and each subject's version numbers are unique.
    /// Returns the problems found.
    pub async fn verify(&self) -> Result<Vec<String>, sqlx::Error> {
        let orphans = "SELECT v.subject, v.version FROM subject_versions v LEFT JOIN schemas s ON s.id = v.schema_id WHERE s.id IS NULL";
        let dangling = "SELECT r.schema_id, r.subject, r.version FROM schema_references r \
                        LEFT JOIN subject_versions v ON v.subject = r.subject AND v.version = r.version WHERE v.subject IS NULL";
        on!(&self.db, p => {
            let mut problems = Vec::new();
            for r in sqlx::query(orphans).fetch_all(p).await? {
                problems.push(format!("{} version {} has no schema", r.get::<String, _>(0), r.get::<i64, _>(1)));
            }
            for r in sqlx::query(dangling).fetch_all(p).await? {
                problems.push(format!("schema {} references missing {} version {}", r.get::<i64, _>(0), r.get::<String, _>(1), r.get::<i64, _>(2)));
            }
            Ok(problems)
        })
    }
}

/// An open registration transaction holding the subject's write lock.
/// Dropped without [`Registration::commit`], it rolls back.
#[derive(Debug)]
pub struct Registration {
    tx: Tx,
    subject: String,
    /// Declared after `tx`, so the transaction ends before the next writer goes.
    _queued: Option<tokio::sync::OwnedMutexGuard<()>>,
}

#[derive(Debug)]
enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$tx` bound to the open transaction as an executor.
macro_rules! in_tx {
    ($reg:expr, $tx:ident => $body:expr) => {
        match &mut $reg.tx {
            Tx::Sqlite($tx) => {
                let $tx = &mut **$tx;
                $body
            }
            Tx::Postgres($tx) => {
                let $tx = &mut **$tx;
                $body
            }
        }
    };
}

impl Registration {
    /// The live version of this subject holding content `hash`, as (id, version).
    pub async fn existing(&mut self, hash: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
        let sql = "SELECT v.schema_id, v.version FROM subject_versions v JOIN schemas s ON s.id = v.schema_id \
                   WHERE v.subject = $1 AND s.hash = $2 AND v.deleted = 0";
        let subject = self.subject.clone();
        in_tx!(self, tx => {
            let row = sqlx::query(sql).bind(subject).bind(hash).fetch_optional(tx).await?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    /// The subject's live versions, oldest first.
    pub async fn live(&mut self) -> Result<Vec<VersionId>, sqlx::Error> {
        let subject = self.subject.clone();
        in_tx!(self, tx => {
            let rows = sqlx::query(VERSIONS).bind(subject).bind(0_i64).fetch_all(tx).await?;
            Ok(rows.iter().map(version_id).collect())
        })
    }

    /// Content by id, read inside the transaction.
    pub async fn content(&mut self, id: i64) -> Result<Option<Content>, sqlx::Error> {
        in_tx!(self, tx => {
            let Some(row) = sqlx::query(SCHEMA).bind(id).fetch_optional(&mut *tx).await? else {
                return Ok(None);
            };
            let refs = sqlx::query(REFERENCES).bind(id).fetch_all(&mut *tx).await?;
            Ok(Some(Content {
                schema: row.get::<String, _>(0).into(),
                references: refs.iter().map(reference).collect(),
                hash: row.get(1),
            }))
        })
    }

    /// The schema id of (subject, version) when that version is live or soft-deleted.
    pub async fn version_id(
        &mut self,
        subject: &str,
        version: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let sql = "SELECT schema_id FROM subject_versions WHERE subject = $1 AND version = $2 AND deleted <= 1";
        in_tx!(self, tx => {
            let row = sqlx::query(sql).bind(subject).bind(version).fetch_optional(tx).await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// The id content `hash` has, when it is stored.
    pub async fn id_of(&mut self, hash: &str) -> Result<Option<i64>, sqlx::Error> {
        in_tx!(self, tx => {
            let row = sqlx::query("SELECT id FROM schemas WHERE hash = $1").bind(hash).fetch_optional(tx).await?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// Whether (subject, version) exists, live or soft-deleted; on
    /// PostgreSQL this also takes a shared lock on the subject, so a
    /// permanent delete of what this registration references waits for it.
    pub async fn reference_exists(
        &mut self,
        subject: &str,
        version: i64,
    ) -> Result<bool, sqlx::Error> {
        if let Tx::Postgres(tx) = &mut self.tx {
            sqlx::query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 7215))")
                .bind(subject)
                .execute(&mut **tx)
                .await?;
        }
        Ok(self.version_id(subject, version).await?.is_some())
    }

    /// Whether version `version` of this subject was ever used (live, soft-deleted or a tombstone).
    pub async fn version_taken(&mut self, version: i64) -> Result<bool, sqlx::Error> {
        let subject = self.subject.clone();
        in_tx!(self, tx => {
            let row = sqlx::query("SELECT 1 FROM subject_versions WHERE subject = $1 AND version = $2")
                .bind(subject).bind(version).fetch_optional(tx).await?;
            Ok(row.is_some())
        })
    }

    /// Stores `content` (once: the same content keeps its id) and adds it as
    /// the subject's next version; in IMPORT mode `id` and `version` may be
    /// given. Returns (id, version).
    pub async fn insert(
        &mut self,
        content: &Content,
        id: Option<i64>,
        version: Option<i64>,
    ) -> Result<(i64, i64), sqlx::Error> {
        let hash = &content.hash;
        let subject = self.subject.clone();
        let postgres = matches!(self.tx, Tx::Postgres(_));
        in_tx!(self, tx => {
            match id {
                Some(id) => {
                    sqlx::query("INSERT INTO schemas (id, hash, schema) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                        .bind(id).bind(hash).bind(&*content.schema).execute(&mut *tx).await?;
                    if postgres {
                        // Keep the identity ahead of imported ids.
                        sqlx::query("SELECT setval(pg_get_serial_sequence('schemas', 'id'), (SELECT MAX(id) FROM schemas))")
                            .execute(&mut *tx).await?;
                    }
                }
                None => {
                    // Only new content takes an id (an identity spends one even on a conflict).
                    let stored = sqlx::query("SELECT 1 FROM schemas WHERE hash = $1").bind(hash).fetch_optional(&mut *tx).await?;
                    if stored.is_none() {
                        sqlx::query("INSERT INTO schemas (hash, schema) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING")
                            .bind(hash).bind(&*content.schema).execute(&mut *tx).await?;
                    }
                }
            }
            let (stored_id, fresh): (i64, bool) = {
                let row = sqlx::query("SELECT id, NOT EXISTS (SELECT 1 FROM schema_references WHERE schema_id = schemas.id) FROM schemas WHERE hash = $1")
                    .bind(hash).fetch_one(&mut *tx).await?;
                (row.get(0), row.get(1))
            };
            let (want, id) = (id, stored_id);
            if want.is_some_and(|w| w != id) {
                return Err(sqlx::Error::Protocol(format!("schema id {want:?} is taken by other content (this content has id {id})")));
            }
            if fresh {
                for (i, r) in content.references.iter().enumerate() {
                    sqlx::query("INSERT INTO schema_references (schema_id, position, name, subject, version) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                        .bind(id).bind(i as i64).bind(&r.name).bind(&r.subject).bind(r.version)
                        .execute(&mut *tx).await?;
                }
            }
            let version: i64 = match version {
                Some(v) => v,
                // Deleted versions count too: a version number is never reused.
                None => sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM subject_versions WHERE subject = $1")
                    .bind(&subject).fetch_one(&mut *tx).await?.get(0),
            };
            sqlx::query("INSERT INTO subject_versions (subject, version, schema_id) VALUES ($1, $2, $3)")
                .bind(&subject).bind(version).bind(id).execute(&mut *tx).await?;
            Ok((id, version))
        })
    }

    /// Deletes versions of this subject, soft (`deleted = 1`: hidden, ids
    /// stay readable) or, for soft-deleted ones, permanent (`deleted = 2`: a
    /// tombstone, so the number is never handed out again); `version = None`
    /// means every version. Refused when a
    /// live schema references one of them: then answers the first such
    /// (version, referencing ids) and changes nothing. Runs under the
    /// subject's lock, so no registration adds a reference in between.
    pub async fn delete(
        &mut self,
        version: Option<i64>,
        permanent: bool,
    ) -> Result<Result<Vec<i64>, (i64, Vec<i64>)>, sqlx::Error> {
        let subject = self.subject.clone();
        let (from, to): (i64, i64) = if permanent { (1, 2) } else { (0, 1) };
        in_tx!(self, tx => {
            let rows = sqlx::query("SELECT version FROM subject_versions WHERE subject = $1 AND deleted = $2 AND ($3 IS NULL OR version = $3) ORDER BY version")
                .bind(&subject).bind(from).bind(version).fetch_all(&mut *tx).await?;
            let candidates: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            for v in &candidates {
                let by = sqlx::query(REFERENCED_BY).bind(&subject).bind(*v).fetch_all(&mut *tx).await?;
                if !by.is_empty() {
                    return Ok(Err((*v, by.iter().map(|r| r.get(0)).collect())));
                }
            }
            sqlx::query("UPDATE subject_versions SET deleted = $1 WHERE subject = $2 AND deleted = $3 AND ($4 IS NULL OR version = $4)")
                .bind(to).bind(&subject).bind(from).bind(version).execute(&mut *tx).await?;
            Ok(Ok(candidates))
        })
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let Registration { tx, _queued, .. } = self;
        match tx {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}
