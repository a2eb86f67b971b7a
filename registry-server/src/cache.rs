//! In-memory read caches: immutable content by id forever, and each subject's version list for a short time.
//!
//! Content with an id never changes, so it is cached without expiry. A
//! subject's versions change when anyone registers or deletes; this process's
//! own writes invalidate its entry at once, and another replica's writes are
//! seen once the entry is older than `ttl` (half a second by default, so every
//! replica sees every version within a second).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use crate::store::{Content, VersionId};

/// A subject's live versions and when the fetch that read them began.
type Fetched = (Instant, Arc<[VersionId]>);

#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    contents: RwLock<HashMap<i64, Arc<Content>>>,
    /// `GET /schemas/ids/{id}` answers, encoded on first read: the hottest
    /// lookup then copies no schema text and escapes nothing.
    by_id: RwLock<HashMap<i64, Bytes>>,
    versions: RwLock<HashMap<String, Fetched>>,
    subjects: RwLock<Option<(Instant, Arc<[String]>)>>,
    /// Bumped by every local write; a fetch that began before a write does not fill the cache.
    generation: AtomicU64,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
}

/// The lock poisoned only if a thread panicked while holding it; the maps stay usable.
fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cache {
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            contents: RwLock::default(),
            by_id: RwLock::default(),
            versions: RwLock::default(),
            subjects: RwLock::default(),
            generation: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn count(&self, hit: bool) {
        let c = if hit { &self.hits } else { &self.misses };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn content(&self, id: i64) -> Option<Arc<Content>> {
        let found = read(&self.contents).get(&id).cloned();
        self.count(found.is_some());
        found
    }

    pub fn put_content(&self, id: i64, content: Arc<Content>) {
        write(&self.contents).insert(id, content);
    }

    /// The encoded by-id answer of `id`, when encoded before.
    pub fn by_id(&self, id: i64) -> Option<Bytes> {
        let found = read(&self.by_id).get(&id).cloned();
        if found.is_some() {
            self.count(true);
        }
        found
    }

    pub fn put_by_id(&self, id: i64, body: Bytes) {
        write(&self.by_id).insert(id, body);
    }

    /// A subject's live versions, when fetched less than `ttl` ago.
    pub fn versions(&self, subject: &str) -> Option<Arc<[VersionId]>> {
        let found = read(&self.versions)
            .get(subject)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone());
        self.count(found.is_some());
        found
    }

    /// Where a fetch stands: pass it back to `put_*` with the time the fetch began.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put_versions(&self, subject: &str, since: (Instant, u64), versions: Arc<[VersionId]>) {
        let mut map = write(&self.versions);
        if self.generation() == since.1 {
            map.insert(subject.to_owned(), (since.0, versions));
        }
    }

    pub fn subjects(&self) -> Option<Arc<[String]>> {
        let found = read(&self.subjects)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, s)| s.clone());
        self.count(found.is_some());
        found
    }

    pub fn put_subjects(&self, since: (Instant, u64), subjects: Arc<[String]>) {
        let mut slot = write(&self.subjects);
        if self.generation() == since.1 {
            *slot = Some((since.0, subjects));
        }
    }

    /// Forgets what this process knows of a subject after it wrote to it.
    pub fn invalidate(&self, subject: &str) {
        let mut map = write(&self.versions);
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(subject);
        drop(map);
        *write(&self.subjects) = None;
    }

    /// Entries held, for metrics.
    pub fn len(&self) -> (usize, usize) {
        (read(&self.contents).len(), read(&self.versions).len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_expire_and_writes_invalidate() {
        let c = Cache::new(Duration::from_millis(50));
        let v: Arc<[VersionId]> = Arc::from(vec![VersionId {
            version: 1,
            id: 7,
            deleted: false,
        }]);
        let before = (Instant::now(), c.generation());
        c.put_versions("a.b.c", before, v.clone());
        assert_eq!(c.versions("a.b.c").as_deref(), Some(&v[..]));
        c.invalidate("a.b.c");
        assert!(c.versions("a.b.c").is_none());
        // A fetch that began before the write must not refill the cache with what it read.
        c.put_versions("a.b.c", before, v.clone());
        assert!(c.versions("a.b.c").is_none());
        // An entry fetched longer ago than the ttl is stale.
        let old = (Instant::now() - Duration::from_millis(60), c.generation());
        c.put_versions("a.b.c", old, v);
        assert!(c.versions("a.b.c").is_none());
        assert_eq!(c.hits.load(Ordering::Relaxed), 1);
        assert_eq!(c.misses.load(Ordering::Relaxed), 3);
    }
}
