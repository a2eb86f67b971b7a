-- Schemas are immutable and stored once, keyed by the SHA-256 of their canonical JSON.
CREATE TABLE schemas (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    hash    TEXT    NOT NULL UNIQUE,
    schema  TEXT    NOT NULL
);

-- A subject's versions; a version number is never reused, even after a soft delete.
CREATE TABLE subject_versions (
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  INTEGER NOT NULL REFERENCES schemas (id),
    deleted    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, version)
);

CREATE INDEX subject_versions_by_schema ON subject_versions (schema_id);

-- Compatibility settings; the empty subject holds the global default.
CREATE TABLE config (
    subject        TEXT PRIMARY KEY,
    compatibility  TEXT NOT NULL,
    policy         TEXT
);
