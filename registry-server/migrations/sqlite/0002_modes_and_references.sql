-- Read/write modes (READWRITE, READONLY, IMPORT); the empty subject holds the global mode.
CREATE TABLE modes (
    subject  TEXT PRIMARY KEY,
    mode     TEXT NOT NULL
);

-- Schema references: schema `schema_id` names (subject, version) as `name` in its $refs.
CREATE TABLE schema_references (
    schema_id  INTEGER NOT NULL REFERENCES schemas (id),
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (schema_id, position)
);

CREATE INDEX schema_references_by_target ON schema_references (subject, version);
