/**
 * The SQLite schema of a MedCodes database. One file holds every loaded system; an import writes a
 * new file and swaps it in (writer.ts). SCHEMA_VERSION changes whenever a table changes shape, and a
 * database of another version is rebuilt rather than read wrongly.
 */
export const SCHEMA_VERSION = 2;

export const SCHEMA_SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per loaded code system release.
CREATE TABLE releases (
  system      TEXT PRIMARY KEY,
  version     TEXT NOT NULL,
  effective   TEXT,
  notice      TEXT,
  imported_at TEXT NOT NULL,
  counts      TEXT NOT NULL,        -- JSON: imported/skipped counts by kind
  sources     TEXT NOT NULL         -- JSON: files read, with SHA-256
);

CREATE TABLE codes (
  id            INTEGER PRIMARY KEY,
  system        TEXT NOT NULL,
  key           TEXT NOT NULL,
  code          TEXT NOT NULL,
  display       TEXT NOT NULL,
  short_display TEXT,
  kind          TEXT NOT NULL,
  billable      INTEGER NOT NULL,
  status        TEXT NOT NULL,
  parent_key    TEXT,
  sort          INTEGER NOT NULL,
  version       TEXT NOT NULL,
  properties    TEXT,               -- JSON
  UNIQUE (system, key)
);
CREATE INDEX codes_parent ON codes (system, parent_key, sort);

CREATE TABLE notes (
  system  TEXT NOT NULL,
  key     TEXT NOT NULL,
  kind    TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  char    TEXT,
  text    TEXT NOT NULL,
  version TEXT NOT NULL
);
CREATE INDEX notes_key ON notes (system, key);

CREATE TABLE index_terms (
  system  TEXT NOT NULL,
  key     TEXT NOT NULL,
  path    TEXT NOT NULL,
  level   INTEGER,                -- 0 = main term of the index; deeper terms count up
  source  TEXT NOT NULL,
  version TEXT NOT NULL
);
CREATE INDEX index_terms_key ON index_terms (system, key);

CREATE TABLE index_refs (
  system  TEXT NOT NULL,
  path    TEXT NOT NULL,
  kind    TEXT NOT NULL,
  target  TEXT NOT NULL,
  source  TEXT NOT NULL,
  version TEXT NOT NULL
);
CREATE INDEX index_refs_path ON index_refs (system, path);

CREATE TABLE history (
  system           TEXT NOT NULL,
  key              TEXT NOT NULL,
  version          TEXT NOT NULL,
  action           TEXT NOT NULL,
  display          TEXT,
  previous_display TEXT,
  replaced_by      TEXT,            -- JSON array of keys
  billable_change  TEXT             -- JSON {from, to}
);
CREATE INDEX history_key ON history (system, key);

CREATE TABLE mappings (
  from_system TEXT NOT NULL,
  from_key    TEXT NOT NULL,
  to_system   TEXT NOT NULL,
  to_key      TEXT NOT NULL,
  flags       TEXT,               -- JSON
  source      TEXT NOT NULL,
  version     TEXT NOT NULL
);
CREATE INDEX mappings_from ON mappings (from_system, from_key);
CREATE INDEX mappings_to ON mappings (to_system, to_key);

-- The search index, serialized (src/search/index.ts save/load): a binary index file (src/search/index-file.ts) in rows of 32 MB named mcix.NNNNNN.
CREATE TABLE search_index (
  name TEXT PRIMARY KEY,
  data BLOB NOT NULL
);

`;
