/**
 * The events writer thread (store option `writer: 'thread'`, the default). appendEvents
 * encodes each batch on the calling thread into columns of strings and numbers (the envelope
 * and fields JSON are built there, where the event objects are) and posts it here; this thread
 * owns the INSERTs: interning host/user/tenant, the multi-row prepared statements and the
 * COMMIT, then replies with the stored and duplicate counts. So a producer normalizes batch N+1
 * while batch N is being written, on the second core, and appendEvents still resolves only
 * after COMMIT (what acknowledgements rely on).
 *
 * Same SQL and the same row layout as the inline path in store.ts (`appendTx`); the contract
 * suite runs against both. Plain JavaScript evaluated from this string, like the indexer, so it
 * runs the same way under tsx, vitest and the compiled build.
 */

export interface WriterWorkerData {
  driver: string;
  eventsFile: string;
  synchronous: 'NORMAL' | 'FULL';
  cacheMb: number;
  busyTimeoutMs: number;
  /** wal_autocheckpoint of this connection (the safety net when the indexer checkpoints), or 0 for SQLite's default. */
  autocheckpointPages: number;
  /** Rows per multi-row INSERT statement. */
  insertRows: number;
  /** The store's one-row and `insertRows`-row INSERT statements. */
  insertOneSql: string;
  insertManySql: string;
}

/** One batch, column-wise. `num` holds [time, ingestTime, classUid, bytes] per row (transferred, not copied). */
export interface WriteRequest {
  type: 'write';
  id: number;
  n: number;
  bytes: number;
  eventId: string[];
  tenant: string[];
  host: (string | null)[];
  user: (string | null)[];
  env: string[];
  fields: (string | null)[];
  raw: string[];
  num: Float64Array;
}

export type WriterMessage =
  | { type: 'ready' }
  | { type: 'done'; id: number; stored: number; duplicates: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'error'; message: string };

export const WRITER_WORKER_CODE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.eventsFile, { fileMustExist: true });
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('synchronous = ' + workerData.synchronous);
  db.pragma('cache_size = ' + (-workerData.cacheMb * 1024));
  if (workerData.autocheckpointPages > 0) db.pragma('wal_autocheckpoint = ' + workerData.autocheckpointPages);
} catch (e) {
  parentPort.postMessage({ type: 'error', message: 'writer: cannot open ' + workerData.eventsFile + ': ' + (e && e.message) });
  throw e;
}
const R = workerData.insertRows;
const insertOne = db.prepare(workerData.insertOneSql);
const insertMany = db.prepare(workerData.insertManySql);
const bytesSince = db.prepare('SELECT total(bytes) FROM events WHERE seq > ?').pluck();
const maxSeq = db.prepare('SELECT max(seq) FROM events').pluck();
const dictGet = db.prepare('SELECT id FROM dict WHERE kind = ? AND value = ?').pluck();
const dictPut = db.prepare('INSERT INTO dict (kind, value) VALUES (?, ?)');
const addStat = db.prepare('UPDATE stats SET v = v + ? WHERE k = ?');
// Interned ids by kind, keyed by the value as given; cleared when a transaction rolls back.
const dict = { host: new Map(), user: new Map(), tenant: new Map() };
// As hostKey() in core/event.ts: trimmed, no trailing dot, lower case.
const hostKey = (s) => s.trim().replace(/\.$/, '').toLowerCase() || undefined;
function intern(kind, given) {
  const cache = dict[kind];
  let id = cache.get(given);
  if (id !== undefined) return id;
  const value = kind === 'host' ? hostKey(given) : given;
  if (value === undefined) return null;
  id = dictGet.get(kind, value);
  if (id === undefined) id = Number(dictPut.run(kind, value).lastInsertRowid);
  if (cache.size > 100000) cache.clear();
  cache.set(given, id);
  return id;
}
const write = db.transaction((m) => {
  const seq0 = maxSeq.get() || 0;
  const params = new Array(R * 11);
  const num = m.num;
  let k = 0;
  let stored = 0;
  for (let i = 0; i < m.n; i++) {
    params[k++] = m.eventId[i];
    params[k++] = num[i * 4];
    params[k++] = num[i * 4 + 1];
    params[k++] = intern('tenant', m.tenant[i]);
    params[k++] = m.host[i] ? intern('host', m.host[i]) : null;
    params[k++] = m.user[i] ? intern('user', m.user[i]) : null;
    params[k++] = num[i * 4 + 2];
    params[k++] = num[i * 4 + 3];
    params[k++] = m.env[i];
    params[k++] = m.fields[i];
    params[k++] = m.raw[i];
    if (k === params.length) {
      stored += insertMany.run(params).changes;
      k = 0;
    }
  }
  for (let j = 0; j < k; j += 11) stored += insertOne.run(params.slice(j, j + 11)).changes;
  const duplicates = m.n - stored;
  let bytes = m.bytes;
  if (duplicates > 0) bytes = stored === 0 ? 0 : (bytesSince.get(seq0) || 0);
  if (bytes) addStat.run(bytes, 'event_bytes');
  if (duplicates) addStat.run(duplicates, 'duplicates');
  return { stored, duplicates };
});
parentPort.on('message', (m) => {
  if (m.type === 'stop') {
    try { db.close(); } catch (e) { /* closing anyway */ }
    parentPort.close();
    return;
  }
  if (m.type !== 'write') return;
  try {
    const r = write.immediate(m);
    parentPort.postMessage({ type: 'done', id: m.id, stored: r.stored, duplicates: r.duplicates });
  } catch (e) {
    for (const c of Object.values(dict)) c.clear();
    parentPort.postMessage({ type: 'failed', id: m.id, message: String(e && e.message) });
  }
});
parentPort.postMessage({ type: 'ready' });
`;
