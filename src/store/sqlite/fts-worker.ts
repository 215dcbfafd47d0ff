/**
 * The background full-text indexer. It runs in a worker thread with its own connections: it
 * reads new rows from the events database (WAL readers never block the writer) and writes
 * the FTS5 index into a separate database file, so it never holds the events write lock.
 * Progress is a watermark (highest events.seq indexed) stored in the FTS database in the same
 * transaction as the index rows; search treats rows above the watermark as not indexed and
 * scans them instead.
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
`;

export interface FtsWorkerData {
  driver: string;
  eventsFile: string;
  ftsFile: string;
  /** Build the full-text index (fts: 'background'). */
  fts: boolean;
  batch: number;
  idleMs: number;
  /** Run PASSIVE WAL checkpoints of the events database at this interval (0: never, the writer does). */
  checkpointMs: number;
}

export type FtsWorkerMessage =
  | { type: 'progress'; watermark: number; indexed: number }
  | { type: 'stopped'; watermark: number }
  | { type: 'error'; message: string };

export const FTS_WORKER_CODE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let ev, fts;
const withFts = workerData.fts;
try {
  ev = new Database(workerData.eventsFile, { fileMustExist: true });
  ev.pragma('busy_timeout = 10000');
  if (withFts) {
    fts = new Database(workerData.ftsFile, { fileMustExist: true });
    fts.pragma('journal_mode = WAL');
    fts.pragma('synchronous = NORMAL');
    fts.pragma('busy_timeout = 10000');
  }
} catch (e) {
  parentPort.postMessage({ type: 'error', message: 'fts indexer: cannot open databases: ' + (e && e.message) });
  throw e;
}
const sel = ev.prepare('SELECT seq, raw FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
const ins = withFts ? fts.prepare('INSERT INTO events_fts (rowid, raw) VALUES (?, ?)') : null;
const setWm = withFts ? fts.prepare("UPDATE fts_state SET v = ? WHERE k = 'watermark'") : null;
const del = withFts ? fts.prepare('DELETE FROM events_fts WHERE rowid = ?') : null;
let wm = withFts ? fts.prepare("SELECT v FROM fts_state WHERE k = 'watermark'").pluck().get() || 0 : 0;
const indexBatch = withFts ? fts.transaction((rows) => {
  for (let i = 0; i < rows.length; i++) ins.run(rows[i][0], rows[i][1]);
  setWm.run(rows[rows.length - 1][0]);
}) : null;
const purgeTx = withFts ? fts.transaction((ids) => { for (const id of ids) if (id <= wm) del.run(id); }) : () => {};
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
  else if (m.type === 'purge') purges.push(m.rowids);
  if (wake) { const w = wake; wake = null; w(); }
});
async function loop() {
  while (!stopping) {
    while (purges.length) purgeTx(purges.shift());
    maybeCheckpoint(false);
    const rows = withFts ? sel.all(wm, workerData.batch) : [];
    if (rows.length > 0) {
      indexBatch(rows);
      wm = rows[rows.length - 1][0];
      parentPort.postMessage({ type: 'progress', watermark: wm, indexed: rows.length });
      await new Promise((r) => setImmediate(r));
      continue;
    }
    await new Promise((r) => {
      const t = setTimeout(() => { wake = null; r(); }, withFts ? workerData.idleMs : Math.max(10, workerData.checkpointMs));
      wake = () => { clearTimeout(t); r(); };
    });
  }
}
loop().then(() => {
  while (purges.length) purgeTx(purges.shift());
  ev.close(); if (fts) fts.close();
  parentPort.postMessage({ type: 'stopped', watermark: wm });
  parentPort.close();
}, (e) => {
  parentPort.postMessage({ type: 'error', message: 'fts indexer: ' + (e && e.message) });
  try { ev.close(); if (fts) fts.close(); } catch {}
});
`;
