/**
 * The background indexer. It runs in a worker thread with its own connections: it reads new
 * rows from the events database (WAL readers never block the writer) and writes two indexes
 * into a separate database file (`<file>.fts`), so it never holds the events write lock:
 *  - ix_keys (kind, key, time, seq): host, user and event-class look-ups. Built first, in large
 *    batches (a few µs per event), so it stays close to the head of the log.
 *  - events_fts: the FTS5 full-text index over the raw text (when fts is 'background').
 * Each has a watermark (highest events.seq covered) stored in the same transaction as its rows;
 * queries treat rows above a watermark as not indexed and scan them instead, so results are
 * exact whatever the lag. The thread runs at a low priority (nice): it yields the CPU to the
 * writer and catches up when ingest pauses.
 *
 * The worker is plain JavaScript evaluated from this string (`new Worker(code, {eval: true})`)
 * so that it runs the same way under tsx, vitest and the compiled build.
 */
export const FTS_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS fts.events_fts USING fts5(
  raw, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS fts.fts_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT OR IGNORE INTO fts.fts_state (k, v) VALUES ('watermark', 0);
CREATE TABLE IF NOT EXISTS fts.ix_keys (
  kind INTEGER NOT NULL, key INTEGER NOT NULL, time INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (kind, key, time, seq)
) WITHOUT ROWID;
INSERT OR IGNORE INTO fts.fts_state (k, v) VALUES ('keys_watermark', 0);
`;

/** ix_keys.kind values. */
export const KEY_KIND = { host: 0, user: 1, class: 2 } as const;

/** A purged events row as the indexer needs it to drop its index entries: [seq, time, host_id, user_id, class_uid]. */
export type PurgedRow = [number, number, number | null, number | null, number];

export interface FtsWorkerData {
  driver: string;
  eventsFile: string;
  ftsFile: string;
  /** Build the full-text index (fts: 'background'). */
  fts: boolean;
  /** Rows per FTS transaction. */
  batch: number;
  /** Rows per key-index transaction. */
  keysBatch: number;
  idleMs: number;
  /** Run PASSIVE WAL checkpoints of the events database at this interval (0: never, the writer does). */
  checkpointMs: number;
  /** Nice value of the indexer thread (0: unchanged). */
  nice: number;
}

export type FtsWorkerMessage =
  | { type: 'progress'; watermark: number; indexed: number; keysWatermark: number }
  | { type: 'stopped'; watermark: number; keysWatermark: number }
  | { type: 'error'; message: string };

export const FTS_WORKER_CODE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
if (workerData.nice) {
  // Linux: setpriority on a thread id renices that thread only. The indexer yields the CPU to
  // the writer and the normalizers; it catches up when ingest pauses.
  try { const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()); if (tid > 0) require('node:os').setPriority(tid, workerData.nice); } catch (e) { /* not Linux: unchanged */ }
}
let ev, fts;
const withFts = workerData.fts;
try {
  ev = new Database(workerData.eventsFile, { fileMustExist: true });
  ev.pragma('busy_timeout = 10000');
  fts = new Database(workerData.ftsFile, { fileMustExist: true });
  fts.pragma('journal_mode = WAL');
  fts.pragma('synchronous = NORMAL');
  fts.pragma('busy_timeout = 10000');
} catch (e) {
  parentPort.postMessage({ type: 'error', message: 'indexer: cannot open databases: ' + (e && e.message) });
  throw e;
}
const state = fts.prepare('SELECT v FROM fts_state WHERE k = ?').pluck();
const setState = fts.prepare('UPDATE fts_state SET v = ? WHERE k = ?');
// Full text.
const sel = ev.prepare('SELECT seq, raw FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
const ins = fts.prepare('INSERT INTO events_fts (rowid, raw) VALUES (?, ?)');
const del = fts.prepare('DELETE FROM events_fts WHERE rowid = ?');
let wm = state.get('watermark') || 0;
const indexBatch = fts.transaction((rows) => {
  for (let i = 0; i < rows.length; i++) ins.run(rows[i][0], rows[i][1]);
  setState.run(rows[rows.length - 1][0], 'watermark');
});
// Keys: host (0), user (1), class (2).
const selKeys = ev.prepare('SELECT seq, time, host_id, user_id, class_uid FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
const insKey = fts.prepare('INSERT OR IGNORE INTO ix_keys (kind, key, time, seq) VALUES (?, ?, ?, ?)');
const delKey = fts.prepare('DELETE FROM ix_keys WHERE kind = ? AND key = ? AND time = ? AND seq = ?');
let kwm = state.get('keys_watermark') || 0;
const keysBatch = fts.transaction((rows) => {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r[2] !== null) insKey.run(0, r[2], r[1], r[0]);
    if (r[3] !== null) insKey.run(1, r[3], r[1], r[0]);
    insKey.run(2, r[4], r[1], r[0]);
  }
  setState.run(rows[rows.length - 1][0], 'keys_watermark');
});
const purgeTx = fts.transaction((rows) => {
  for (const r of rows) {
    if (withFts && r[0] <= wm) del.run(r[0]);
    if (r[0] <= kwm) {
      if (r[2] !== null) delKey.run(0, r[2], r[1], r[0]);
      if (r[3] !== null) delKey.run(1, r[3], r[1], r[0]);
      delKey.run(2, r[4], r[1], r[0]);
    }
  }
});
// WAL checkpoints off the writer's thread: PASSIVE never waits for (or blocks) the writer.
let lastCheckpoint = Date.now();
function maybeCheckpoint(force) {
  if (!workerData.checkpointMs) return;
  const now = Date.now();
  if (!force && now - lastCheckpoint < workerData.checkpointMs) return;
  lastCheckpoint = now;
  try { ev.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { /* busy: the next tick retries */ }
}
let stopping = false;
let wake = null;
const purges = [];
parentPort.on('message', (m) => {
  if (m.type === 'stop') stopping = true;
  else if (m.type === 'purge') purges.push(m.rows);
  if (wake) { const w = wake; wake = null; w(); }
});
async function loop() {
  while (!stopping) {
    while (purges.length) purgeTx(purges.shift());
    maybeCheckpoint(false);
    let did = 0;
    const krows = selKeys.all(kwm, workerData.keysBatch);
    if (krows.length > 0) {
      keysBatch(krows);
      kwm = krows[krows.length - 1][0];
      did += krows.length;
    }
    const rows = withFts ? sel.all(wm, workerData.batch) : [];
    if (rows.length > 0) {
      indexBatch(rows);
      wm = rows[rows.length - 1][0];
    }
    if (did > 0 || rows.length > 0) {
      parentPort.postMessage({ type: 'progress', watermark: wm, indexed: rows.length, keysWatermark: kwm });
      await new Promise((r) => setImmediate(r));
      continue;
    }
    await new Promise((r) => {
      const t = setTimeout(() => { wake = null; r(); }, workerData.idleMs);
      wake = () => { clearTimeout(t); r(); };
    });
  }
}
loop().then(() => {
  while (purges.length) purgeTx(purges.shift());
  ev.close(); fts.close();
  parentPort.postMessage({ type: 'stopped', watermark: wm, keysWatermark: kwm });
  parentPort.close();
}, (e) => {
  parentPort.postMessage({ type: 'error', message: 'indexer: ' + (e && e.message) });
  try { ev.close(); fts.close(); } catch {}
});
`;
