//! Storage of subjects, versions, schemas and settings on SQLite (sqlx); every write is one transaction.

use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

/// The registry's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// One registered version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    pub schema: String,
}

/// Canonical JSON: object keys sorted, no insignificant white space. Equal
/// schemas written differently get the same text, hash and id.
pub fn canonical(v: &serde_json::Value) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                serde_json::Value::Object(
                    keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect(),
                )
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Live versions of subject `?1`, oldest first, as [`VersionRow`]s.
const LIVE_VERSIONS: &str = "SELECT v.subject, v.version, v.schema_id, s.schema FROM subject_versions v \
     JOIN schemas s ON s.id = v.schema_id WHERE v.subject = ?1 AND v.deleted = 0 ORDER BY v.version";

fn version_row(r: &sqlx::sqlite::SqliteRow) -> VersionRow {
    VersionRow {
        subject: r.get(0),
        version: r.get(1),
        id: r.get(2),
        schema: r.get(3),
    }
}

fn hash(canonical: &str) -> String {
    Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Opens (creating when missing) an SQLite database such as
    /// `sqlite://evreg.db` or `sqlite::memory:`, and runs the migrations.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        let memory = url.contains(":memory:");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .foreign_keys(true);
        // One connection for an in-memory database (each connection would be its own database).
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 8 })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store { pool })
    }

    pub async fn subjects(&self) -> Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT DISTINCT subject FROM subject_versions WHERE deleted = 0 ORDER BY subject",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// Live versions of a subject, oldest first.
    pub async fn versions(&self, subject: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
        let rows = sqlx::query(LIVE_VERSIONS)
            .bind(subject)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(version_row).collect())
    }

    pub async fn schema_by_id(&self, id: i64) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT schema FROM schemas WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Registers `schema` (canonical JSON) under `subject`, unless the same
    /// content is already a live version there. `check` runs inside the
    /// write transaction with the live versions, oldest first, and may refuse.
    /// Returns (id, version, newly added).
    pub async fn register<E>(
        &self,
        subject: &str,
        schema: &str,
        check: impl FnOnce(&[VersionRow]) -> Result<(), E>,
    ) -> Result<Result<(i64, i64, bool), E>, sqlx::Error> {
        let digest = hash(schema);
        let mut tx = self.pool.begin().await?;
        // Take the write lock first, so concurrent registrations to a subject serialise.
        sqlx::query("UPDATE config SET compatibility = compatibility WHERE 0")
            .execute(&mut *tx)
            .await?;
        let existing = sqlx::query(
            "SELECT v.schema_id, v.version FROM subject_versions v JOIN schemas s ON s.id = v.schema_id \
             WHERE v.subject = ?1 AND s.hash = ?2 AND v.deleted = 0",
        )
        .bind(subject)
        .bind(&digest)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = existing {
            tx.commit().await?;
            return Ok(Ok((r.get(0), r.get(1), false)));
        }
        let rows = sqlx::query(LIVE_VERSIONS)
            .bind(subject)
            .fetch_all(&mut *tx)
            .await?;
        let live: Vec<VersionRow> = rows.iter().map(version_row).collect();
        if let Err(e) = check(&live) {
            tx.rollback().await?;
            return Ok(Err(e));
        }
        sqlx::query("INSERT OR IGNORE INTO schemas (hash, schema) VALUES (?1, ?2)")
            .bind(&digest)
            .bind(schema)
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query("SELECT id FROM schemas WHERE hash = ?1")
            .bind(&digest)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        // Deleted versions count too: a version number is never reused.
        let next: i64 = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM subject_versions WHERE subject = ?1",
        )
        .bind(subject)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        sqlx::query(
            "INSERT INTO subject_versions (subject, version, schema_id) VALUES (?1, ?2, ?3)",
        )
        .bind(subject)
        .bind(next)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok((id, next, true)))
    }

    /// Deletes versions of a subject: soft (`deleted = 1`: hidden, ids stay
    /// readable) or, for soft-deleted ones, permanent (`deleted = 2`: a
    /// tombstone, so the version number is never handed out again).
    /// `version = None` means every version. Returns the versions affected.
    pub async fn delete(
        &self,
        subject: &str,
        version: Option<i64>,
        permanent: bool,
    ) -> Result<Vec<i64>, sqlx::Error> {
        let (from, to) = if permanent { (1, 2) } else { (0, 1) };
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT version FROM subject_versions WHERE subject = ?1 AND deleted = ?2 AND (?3 IS NULL OR version = ?3) ORDER BY version",
        )
        .bind(subject)
        .bind(from)
        .bind(version)
        .fetch_all(&mut *tx)
        .await?;
        let affected: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        sqlx::query("UPDATE subject_versions SET deleted = ?1 WHERE subject = ?2 AND deleted = ?3 AND (?4 IS NULL OR version = ?4)")
            .bind(to)
            .bind(subject)
            .bind(from)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(affected)
    }

    /// Whether the subject (or one version of it) exists in the given deletion state (0 live, 1 soft-deleted).
    pub async fn has(
        &self,
        subject: &str,
        version: Option<i64>,
        deleted: i64,
    ) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT 1 FROM subject_versions WHERE subject = ?1 AND deleted = ?2 AND (?3 IS NULL OR version = ?3) LIMIT 1")
            .bind(subject)
            .bind(deleted)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// (subject, version) pairs, live ones only, that use schema `id`.
    pub async fn uses_of(&self, id: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let rows = sqlx::query("SELECT subject, version FROM subject_versions WHERE schema_id = ?1 AND deleted = 0 ORDER BY subject, version")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// (compatibility, policy) set for a subject, or globally for `""`.
    pub async fn config(
        &self,
        subject: &str,
    ) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
        let row = sqlx::query("SELECT compatibility, policy FROM config WHERE subject = ?1")
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    pub async fn set_config(
        &self,
        subject: &str,
        compatibility: &str,
        policy: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO config (subject, compatibility, policy) VALUES (?1, ?2, ?3) \
             ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility, \
             policy = COALESCE(excluded.policy, config.policy)",
        )
        .bind(subject)
        .bind(compatibility)
        .bind(policy)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
