/**
 * Versioned schema migrations of the embedded SQLite store. Append new versions; never edit an
 * applied one. Each runs in its own transaction and is recorded in schema_migrations.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events, signals, incidents, actions, audit, state',
    sql: `
-- Interned low-cardinality values (host, user, tenant): events keep small integer ids.
CREATE TABLE dict (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (kind, value)
);

-- Append-only event log in arrival order (seq); time-sortable ids.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  time INTEGER NOT NULL,
  ingest_time INTEGER NOT NULL,
  tenant_id INTEGER NOT NULL,
  host_id INTEGER,
  user_id INTEGER,
  class_uid INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  env TEXT NOT NULL,
  -- NULL when the original fields serialize to exactly the raw text (JSON inputs): read from raw.
  fields TEXT,
  raw TEXT NOT NULL
);
-- One index serves time ranges, time ordering and duplicate detection: ids from eventId()
-- begin with the event time, so an id is unique exactly when (time, id) is.
CREATE UNIQUE INDEX events_time_id ON events (time, id);
CREATE INDEX events_host ON events (host_id, time) WHERE host_id IS NOT NULL;
CREATE INDEX events_user ON events (user_id, time) WHERE user_id IS NOT NULL;
CREATE INDEX events_class ON events (class_uid, time);

CREATE TABLE stats (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO stats (k, v) VALUES ('event_bytes', 0), ('duplicates', 0);

CREATE TABLE signals (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  detector TEXT NOT NULL,
  level TEXT NOT NULL,
  score REAL NOT NULL,
  time INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX signals_time ON signals (tenant, time);
CREATE INDEX signals_detector ON signals (detector, time);

CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX incidents_updated ON incidents (tenant, updated_at);

CREATE TABLE actions (
  id TEXT PRIMARY KEY,
  incident_id TEXT,
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX actions_incident ON actions (incident_id);

-- Append-only audit trail: updates and deletes are refused by triggers.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  doc TEXT NOT NULL,
  prev_hash TEXT,
  hash TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;

CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
`,
  },
  {
    version: 2,
    name: 'records (incidents, investigations, actions, feedback, ...) replace the per-kind tables',
    sql: `
DROP TABLE incidents;
DROP TABLE actions;
CREATE TABLE records (
  collection TEXT NOT NULL,
  id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  status TEXT NOT NULL,
  ref TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX records_updated ON records (collection, tenant, updated_at);
CREATE INDEX records_ref ON records (collection, ref);
`,
  },
  {
    version: 3,
    name: 'host/user/class look-ups move to the background key index (<file>.fts: ix_keys)',
    // Three inline indexes on random keys cost more per insert than the row itself and grow
    // costlier as the table grows (docs/store.md). The indexer thread now builds
    // fts.ix_keys(kind, key, time, seq) off the write path; an existing store is backfilled.
    sql: `
DROP INDEX IF EXISTS events_host;
DROP INDEX IF EXISTS events_user;
DROP INDEX IF EXISTS events_class;
`,
  },
];
