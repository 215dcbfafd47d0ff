/**
 * The embedded store: SQLite through better-sqlite3 in WAL mode.
 *
 * Design for ingest throughput (see docs/store.md):
 * - events is an append-only rowid table (seq = arrival order); host/user/tenant are interned
 *   into small integers; the secondary indexes are (key, time) on low-cardinality keys, so each
 *   insert touches a few hot pages instead of random ones.
 * - The only inline index is (time, id). Host, user and event-class look-ups (ix_keys) and the
 *   FTS5 full-text index live in a separate database file (`<file>.fts`) built by a low-priority
 *   worker thread catching up in batches, off the write path. Search stays exact: rows above an
 *   index's watermark are matched by scanning (the same tokenizer rules for full text).
 * - A batch is one transaction; appendEvents resolves after COMMIT. synchronous=NORMAL in WAL
 *   survives a process crash (SIGKILL); FULL also survives power loss (config `synchronous`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import { workersUseTheirOwnHeapLimits } from '../../core/threads.js';
import { FIELDS_FROM_RAW_SCALARS, hostKey, rawScalarFields, type GarrisonEvent } from '../../core/event.js';
import type { Signal } from '../../core/signal.js';
import type {
  AppendResult,
  AuditEntry,
  AuditInput,
  AuditVerification,
  RecordCollection,
  RecordQuery,
  StoredRecord,
  RetentionPolicy,
  RetentionResult,
  SearchOptions,
  SearchResult,
  SignalQuery,
  Store,
  TimeRange,
} from '../port.js';
import {
  AUDIT_GENESIS,
  auditHash,
  verifyAuditChain,
  checkCollection,
  checkRange,
  clampLimit,
  decodeCursor,
  encodeCursor,
  MAX_GET_IDS,
  validateAudit,
  validateEvent,
  validateRecord,
} from '../common.js';
import { compileQuery, sqliteDialect } from '../query/compile.js';
import { phraseMatches } from '../query/fts.js';
import { FTS_SCHEMA, FTS_WORKER_CODE, type FtsWorkerData, type FtsWorkerMessage, type PurgedRow } from './fts-worker.js';
import { MIGRATIONS } from './migrations.js';
import { WRITER_WORKER_CODE, type WriteRequest, type WriterMessage, type WriterWorkerData } from './writer-worker.js';

export const SqliteStoreConfigSchema = z
  .object({
    /** Events database file; the FTS index goes to `<file>.fts`. */
    file: z.string().min(1),
    /** NORMAL: durable across process crashes (WAL). FULL: also across power loss, slower commits. */
    synchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    /** background: FTS5 built by a worker thread; off: full-text terms scan the raw text. */
    fts: z.enum(['background', 'off']).default('background'),
    /** Rows per FTS indexer transaction. */
    ftsBatch: z.number().int().min(1).max(100_000).default(5_000),
    /** Rows per key-index (host/user/class) transaction. */
    keysBatch: z.number().int().min(1).max(1_000_000).default(20_000),
    /** Nice value of the indexer thread (Linux): it yields the CPU to ingest and catches up later. */
    indexerNice: z.number().int().min(0).max(19).default(19),
    /** Indexer poll interval when idle (it is also woken after each append). */
    ftsIdleMs: z.number().int().min(1).max(60_000).default(250),
    /**
     * WAL checkpoints: 'background' runs them in the store's worker thread (PASSIVE, every
     * checkpointMs), so the writer never stalls copying the WAL into the database and syncing it;
     * the writer keeps SQLite's own auto-checkpoint only as a safety net at checkpointSafetyPages.
     * 'inline' leaves SQLite's default (the committing connection checkpoints every ~4 MiB).
     */
    checkpoint: z.enum(['background', 'inline']).default('background'),
    checkpointMs: z.number().int().min(10).max(60_000).default(250),
    checkpointSafetyPages: z.number().int().min(1000).max(10_000_000).default(65_536),
    /**
     * Page size of a NEW database file (an existing file keeps its own). Events rows are ~1–2 KiB
     * (envelope + fields + raw): with 4 KiB pages only one or two fit per page, and measured
     * insert cost per row falls from ~10 µs to ~6 µs of writer CPU with 16 KiB pages.
     */
    pageSize: z.union([z.literal(4096), z.literal(8192), z.literal(16384), z.literal(32768), z.literal(65536)]).default(16384),
    /**
     * Who runs the events INSERTs: 'thread' (a dedicated writer thread, so normalizing the next
     * batch overlaps writing this one: see writer-worker.ts) or 'inline' (the calling thread).
     * Both resolve appendEvents only after COMMIT.
     */
    writer: z.enum(['thread', 'inline']).default('thread'),
    /** SQLite page cache in MiB. */
    cacheMb: z.number().int().min(1).max(4096).default(64),
    busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
    /** Open read-only (no migrations, no indexer): for `garrison search` beside a running server. */
    readonly: z.boolean().default(false),
  })
  .strict();
export type SqliteStoreConfig = z.input<typeof SqliteStoreConfigSchema>;

const CURSOR_KIND = 'sqlite';
const EVENT_COLS = '(id, time, ingest_time, tenant_id, host_id, user_id, class_uid, bytes, env, fields, raw)';
const INSERT_COLS = 11;
const EVENT_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per multi-row INSERT (binding 352 parameters per call instead of 11 cuts per-row overhead). */
const INSERT_ROWS = 32;
const INSERT_ONE_SQL = `INSERT OR IGNORE INTO events ${EVENT_COLS} VALUES ${EVENT_ROW}`;
const INSERT_MANY_SQL = `INSERT OR IGNORE INTO events ${EVENT_COLS} VALUES ${Array(INSERT_ROWS).fill(EVENT_ROW).join(', ')}`;
const require = createRequire(import.meta.url);
/**
 * Heap limits of the store's threads. V8 flags are process-wide: without a limit here they would
 * inherit the main thread's young generation (`--max-semi-space-size`, set large for ingest) and
 * each grow it to hundreds of MiB for batches that live a few milliseconds.
 */
const STORE_THREAD_LIMITS = { maxYoungGenerationSizeMb: 48 };

type Row = { seq: number; id: string; time: number; ingest_time: number; tenant: string; env: string; fields: string | null; raw: string };

const NUM_RE = /^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$/;

/**
 * Events whose envelope and fields were already serialised elsewhere (the file-ingest worker
 * threads, src/ingest/file/workers.ts): `env` is exactly JSON.stringify({ source, class,
 * entities }) and `fields` JSON.stringify(fields), or null when equal to `raw`; `host`/`user` are
 * entities.host/entities.user (so a lazily materialised event is not parsed). appendEvents uses
 * these strings instead of serialising again. Not part of the Store port; a store that does not
 * look here stores the same rows.
 */
export const preEncoded = new WeakMap<GarrisonEvent, { env: string; fields: string | null; host?: string; user?: string }>();

/** JSON of frozen (shared, immutable) objects such as a normalizer's per-log-source `source`. */
const frozenJson = new WeakMap<object, string>();
function jsonOfShared(o: object): string {
  let j = frozenJson.get(o);
  if (j === undefined) {
    j = JSON.stringify(o);
    if (Object.isFrozen(o)) frozenJson.set(o, j);
  }
  return j;
}

/** Exactly JSON.stringify({ source, class, entities }), serialising a shared source/class once. */
export function envJson(source: GarrisonEvent['source'], cls: GarrisonEvent['class'], entities: GarrisonEvent['entities']): string {
  if (source === null || typeof source !== 'object' || cls === null || typeof cls !== 'object' || entities === null || typeof entities !== 'object') {
    return JSON.stringify({ source, class: cls, entities });
  }
  return `{"source":${jsonOfShared(source)},"class":${jsonOfShared(cls)},"entities":${JSON.stringify(entities)}}`;
}

export interface SqliteStoreStats {
  events: number;
  eventBytes: number;
  duplicates: number;
  ftsWatermark: number;
  /** Highest seq in the background host/user/class index. */
  keysWatermark: number;
  /** Who writes events: 'thread', 'inline', or 'inline (writer thread stopped: …)' after a failure. */
  writer: string;
  maxSeq: number;
  ftsIndexed: number;
}

export class SqliteStore implements Store {
  readonly config: z.output<typeof SqliteStoreConfigSchema>;
  readonly ftsFile: string;
  private db: Database.Database | undefined;
  private closed = false;
  private initPromise: Promise<void> | undefined;
  private worker: Worker | undefined;
  private workerError: string | undefined;
  /** Is the index database (`<file>.fts`: full text and keys) attached as schema `fts`? */
  private ftsAttached = false;
  private watermark = 0;
  private keysWatermark = 0;
  private ftsIndexed = 0;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Interned ids by kind, keyed by the value as given (hosts: before hostKey()), cleared on rollback. */
  private dictIds = { host: new Map<string, number>(), user: new Map<string, number>(), tenant: new Map<string, number>() };
  private stmts: ReturnType<SqliteStore['prepare']> | undefined;
  private appendTxFn: Database.Transaction<(evs: GarrisonEvent[]) => AppendResult> | undefined;
  private tokenCache = new Map<string, string[]>();
  /** The writer thread (writer: 'thread') and its outstanding batches. */
  private writer: Worker | undefined;
  private writerFailed: string | undefined;
  private writeSeq = 0;
  private writes = new Map<number, { resolve: (r: AppendResult) => void; reject: (e: Error) => void }>();

  constructor(config: SqliteStoreConfig) {
    const parsed = SqliteStoreConfigSchema.safeParse(config);
    if (!parsed.success) {
      const problems = new ProblemList();
      for (const issue of parsed.error.issues) {
        problems.add(new GarrisonError('CONFIG_INVALID', `store.${issue.path.join('.')}: ${issue.message}`, { location: { field: `store.${issue.path.join('.')}` } }));
      }
      throw new GarrisonError('CONFIG_INVALID', `invalid SQLite store configuration:\n${problems.format()}`, {
        details: { problems: problems.problems.map((p) => p.toJSON()) },
      });
    }
    this.config = parsed.data;
    this.config.file = resolve(this.config.file);
    this.ftsFile = this.config.file + '.fts';
  }

  // ---------------------------------------------------------------------------------- lifecycle

  init(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    this.initPromise ??= this.doInit().catch((e) => {
      this.initPromise = undefined;
      throw e;
    });
    return this.initPromise;
  }

  private async doInit(): Promise<void> {
    const c = this.config;
    let db: Database.Database;
    try {
      if (!c.readonly) mkdirSync(dirname(c.file), { recursive: true });
      db = new Database(c.file, { readonly: c.readonly, fileMustExist: c.readonly });
    } catch (e) {
      throw new GarrisonError('STORE_IO', `cannot open ${c.file}: ${(e as Error).message}`, { location: { file: c.file }, cause: e });
    }
    try {
      db.pragma(`busy_timeout = ${c.busyTimeoutMs}`);
      if (!c.readonly) {
        const fresh = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n === 0;
        if (fresh) {
          // Both only take effect before the first table is created (and before WAL for page_size).
          db.pragma(`page_size = ${c.pageSize}`);
          db.pragma('auto_vacuum = INCREMENTAL');
        }
        db.pragma('journal_mode = WAL');
      }
      db.pragma(`synchronous = ${c.synchronous}`);
      db.pragma(`cache_size = ${-c.cacheMb * 1024}`);
      db.pragma('temp_store = MEMORY');
      db.function('garrison_num', { deterministic: true }, (v: unknown) => {
        if (typeof v === 'number' || typeof v === 'bigint') return v;
        if (typeof v === 'string' && v.length < 64 && NUM_RE.test(v)) return Number(v);
        return null;
      });
      db.function('garrison_fts', { deterministic: true }, (raw: unknown, tokensJson: unknown, prefix: unknown) => {
        if (typeof raw !== 'string' || typeof tokensJson !== 'string') return 0;
        let tokens = this.tokenCache.get(tokensJson);
        if (!tokens) {
          tokens = JSON.parse(tokensJson) as string[];
          if (this.tokenCache.size > 256) this.tokenCache.clear();
          this.tokenCache.set(tokensJson, tokens);
        }
        return phraseMatches(raw, tokens, prefix === 1) ? 1 : 0;
      });
      if (!c.readonly) this.migrate(db);
      else this.checkSchema(db);
      this.db = db;
      this.attachFts(db);
      this.stmts = this.prepare(db);
      if (!c.readonly && c.checkpoint === 'background') {
        // The worker thread checkpoints; the writer's own auto-checkpoint is only a safety net
        // (a stalled worker cannot let the WAL grow without bound).
        db.pragma(`wal_autocheckpoint = ${c.checkpointSafetyPages}`);
        db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      }
      if (!c.readonly) this.startWorker();
      if (!c.readonly && c.writer === 'thread') this.startWriter();
    } catch (e) {
      db.close();
      if (e instanceof GarrisonError) throw e;
      throw new GarrisonError('STORE_IO', `cannot initialise ${c.file}: ${(e as Error).message}`, { location: { file: c.file }, cause: e });
    }
  }

  private checkSchema(db: Database.Database): void {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get();
    if (!has) throw new GarrisonError('STORE_SCHEMA', `${this.config.file} is not a Garrison store (no schema)`, { location: { file: this.config.file } });
    const v = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
    if (v > latest) throw new GarrisonError('STORE_SCHEMA', `${this.config.file} has schema version ${v}, newer than this build (${latest})`, { location: { file: this.config.file } });
  }

  private migrate(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    this.checkSchema(db);
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      try {
        db.transaction(() => {
          db.exec(m.sql);
          db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        }).immediate();
      } catch (e) {
        throw new GarrisonError('STORE_SCHEMA', `migration ${m.version} (${m.name}) failed on ${this.config.file}: ${(e as Error).message}`, {
          location: { file: this.config.file },
          cause: e,
        });
      }
    }
  }

  private attachFts(db: Database.Database): void {
    if (this.config.readonly) {
      try {
        // A read-only connection attaches read-only too; a missing index file fails here.
        if (!existsSync(this.ftsFile)) throw new Error('no index file');
        db.prepare('ATTACH DATABASE ? AS fts').run(this.ftsFile);
        db.prepare("SELECT v FROM fts.fts_state WHERE k = 'watermark'").get();
        this.ftsAttached = true;
      } catch {
        try {
          db.exec('DETACH DATABASE fts');
        } catch {
          /* not attached */
        }
        this.ftsAttached = false; // no index yet: full-text and key terms scan
      }
      return;
    }
    db.prepare('ATTACH DATABASE ? AS fts').run(this.ftsFile);
    db.pragma('fts.journal_mode = WAL');
    db.pragma('fts.synchronous = NORMAL');
    db.exec(FTS_SCHEMA);
    this.ftsAttached = true;
    this.watermark = this.readWatermark(db);
    this.keysWatermark = this.readWatermark(db, 'keys_watermark');
  }

  /** Highest events.seq covered by the full-text index ('watermark') or by ix_keys ('keys_watermark'). */
  private readWatermark(db: Database.Database, which: 'watermark' | 'keys_watermark' = 'watermark'): number {
    if (!this.ftsAttached) return 0;
    try {
      return (db.prepare('SELECT v FROM fts.fts_state WHERE k = ?').pluck().get(which) as number | undefined) ?? 0;
    } catch {
      return 0; // a read-only store on an index file older than ix_keys
    }
  }

  /** Is the full-text index in use (built in the background and attached)? */
  private get ftsOn(): boolean {
    return this.ftsAttached && this.config.fts === 'background';
  }

  /** Does the attached index database have ix_keys (every store written by this version)? */
  private keysOn(db: Database.Database): boolean {
    if (!this.ftsAttached) return false;
    if (this.keysTable === undefined) {
      this.keysTable = !!db.prepare("SELECT 1 FROM fts.sqlite_master WHERE name = 'ix_keys'").get();
    }
    return this.keysTable;
  }
  private keysTable: boolean | undefined;

  private startWorker(): void {
    const data: FtsWorkerData = {
      driver: require.resolve('better-sqlite3'),
      eventsFile: this.config.file,
      ftsFile: this.ftsFile,
      fts: this.config.fts === 'background',
      batch: this.config.ftsBatch,
      keysBatch: this.config.keysBatch,
      idleMs: this.config.ftsIdleMs,
      checkpointMs: this.config.checkpoint === 'background' ? this.config.checkpointMs : 0,
      nice: this.config.indexerNice,
    };
    workersUseTheirOwnHeapLimits();
    const w = new Worker(FTS_WORKER_CODE, { eval: true, workerData: data, resourceLimits: STORE_THREAD_LIMITS });
    w.unref();
    w.on('message', (m: FtsWorkerMessage) => {
      if (m.type === 'progress') {
        this.watermark = m.watermark;
        this.keysWatermark = m.keysWatermark;
        this.ftsIndexed += m.indexed;
        this.settleWaiters();
      } else if (m.type === 'stopped') {
        this.watermark = m.watermark;
        this.keysWatermark = m.keysWatermark;
        this.settleWaiters();
      } else if (m.type === 'error') {
        this.workerError = m.message;
        this.settleWaiters();
      }
    });
    w.on('error', (e) => {
      this.workerError = e.message;
      this.settleWaiters();
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      this.settleWaiters();
    });
    this.worker = w;
  }

  private startWriter(): void {
    const c = this.config;
    const data: WriterWorkerData = {
      driver: require.resolve('better-sqlite3'),
      eventsFile: c.file,
      synchronous: c.synchronous,
      cacheMb: c.cacheMb,
      busyTimeoutMs: c.busyTimeoutMs,
      autocheckpointPages: c.checkpoint === 'background' ? c.checkpointSafetyPages : 0,
      insertRows: INSERT_ROWS,
      // The same statements as the inline path (prepare()).
      insertOneSql: INSERT_ONE_SQL,
      insertManySql: INSERT_MANY_SQL,
    };
    workersUseTheirOwnHeapLimits();
    const w = new Worker(WRITER_WORKER_CODE, { eval: true, workerData: data, resourceLimits: STORE_THREAD_LIMITS });
    w.unref();
    const fail = (message: string): void => {
      // Batches in flight are not acknowledged (their senders retry); later ones are written inline.
      if (this.writer === w) this.writer = undefined;
      this.writerFailed = message;
      const pending = [...this.writes.values()];
      this.writes.clear();
      for (const p of pending) p.reject(new GarrisonError('STORE_IO', `events writer thread stopped: ${message}`, { location: { file: c.file } }));
    };
    w.on('message', (m: WriterMessage) => {
      if (m.type === 'done' || m.type === 'failed') {
        const p = this.writes.get(m.id);
        if (!p) return;
        this.writes.delete(m.id);
        if (m.type === 'done') p.resolve({ stored: m.stored, duplicates: m.duplicates });
        else p.reject(new Error(m.message));
      } else if (m.type === 'error') fail(m.message);
    });
    w.on('error', (e) => fail(e.message));
    w.on('exit', () => {
      if (this.writer === w) fail('exited');
    });
    this.writer = w;
  }

  /** Encodes a batch column-wise and has the writer thread insert it; resolves after its COMMIT. */
  private writeOnThread(w: Worker, events: GarrisonEvent[]): Promise<AppendResult> {
    const n = events.length;
    const req: WriteRequest = {
      type: 'write',
      id: ++this.writeSeq,
      n,
      bytes: 0,
      eventId: new Array<string>(n),
      tenant: new Array<string>(n),
      host: new Array<string | null>(n),
      user: new Array<string | null>(n),
      env: new Array<string>(n),
      fields: new Array<string | null>(n),
      raw: new Array<string>(n),
      num: new Float64Array(new ArrayBuffer(n * 32)),
    };
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const ev = events[i];
      const e = this.encode(ev);
      const size = e.env.length + (e.fields === null ? 0 : e.fields.length) + ev.raw.length;
      bytes += size;
      req.eventId[i] = ev.id;
      req.tenant[i] = ev.tenant;
      req.host[i] = e.host ?? null;
      req.user[i] = e.user ?? null;
      req.env[i] = e.env;
      req.fields[i] = e.fields;
      req.raw[i] = ev.raw;
      req.num[i * 4] = Math.trunc(ev.time);
      req.num[i * 4 + 1] = Math.trunc(ev.ingestTime);
      req.num[i * 4 + 2] = ev.class.uid;
      req.num[i * 4 + 3] = size;
    }
    req.bytes = bytes;
    return new Promise<AppendResult>((resolve, reject) => {
      this.writes.set(req.id, { resolve, reject });
      w.postMessage(req, [req.num.buffer as ArrayBuffer]);
    });
  }

  /** The serialised envelope and fields of an event (as stored), and its host and user. */
  private encode(ev: GarrisonEvent): { env: string; fields: string | null; host?: string; user?: string } {
    const pre = preEncoded.get(ev);
    if (pre) return pre;
    const ent = ev.entities ?? {};
    const env = envJson(ev.source, ev.class, ent);
    // The fields column: NULL when the raw text is the fields' JSON; '' when the fields are the
    // raw object with numbers as strings (rebuilt on read, see FIELDS_FROM_RAW_SCALARS); else JSON.
    let fields: string | null;
    if (FIELDS_FROM_RAW_SCALARS.has(ev)) fields = '';
    else {
      fields = JSON.stringify(ev.fields ?? {});
      if (fields === ev.raw) fields = null;
    }
    return { env, fields, host: ent.host, user: ent.user };
  }

  private settleWaiters(): void {
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.indexedUpTo() >= w.seq) w.resolve();
      else if (this.workerError || !this.worker) {
        w.reject(new GarrisonError('STORE_IO', `full-text indexer stopped${this.workerError ? `: ${this.workerError}` : ''}`, { location: { file: this.ftsFile } }));
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  /** The lower of the two watermarks: every event up to it is in both background indexes. */
  private indexedUpTo(): number {
    return this.config.fts === 'background' ? Math.min(this.watermark, this.keysWatermark) : this.keysWatermark;
  }

  /** Resolves once the background indexes (keys, full text) cover every event stored so far (tests, benchmarks). */
  async flushIndex(): Promise<void> {
    const db = await this.ready();
    if (!this.ftsAttached || !this.worker) return;
    const seq = this.maxSeq(db);
    if (this.indexedUpTo() >= seq) return;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.worker?.postMessage({ type: 'kick' });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.initPromise;
    } catch {
      /* failed init: nothing to close */
    }
    const wr = this.writer;
    if (wr) {
      // Outstanding batches were posted first: the thread commits them, then stops.
      this.writer = undefined;
      await stopThread(wr, 30_000);
    }
    if (this.worker) await stopThread(this.worker, 10_000);
    for (const x of this.waiters) x.reject(this.closedError());
    this.waiters = [];
    if (this.db) {
      try {
        if (!this.config.readonly) this.db.pragma('optimize');
      } catch {
        /* best effort */
      }
      this.db.close();
      this.db = undefined;
    }
  }

  private closedError(): GarrisonError {
    return new GarrisonError('STORE_CLOSED', `the store ${this.config.file} is closed`, { location: { file: this.config.file } });
  }

  private async ready(): Promise<Database.Database> {
    if (this.closed) throw this.closedError();
    await this.init();
    if (this.closed || !this.db) throw this.closedError();
    return this.db;
  }

  private writable(): void {
    if (this.config.readonly) throw new GarrisonError('STORE_IO', `the store ${this.config.file} is open read-only`, { location: { file: this.config.file } });
  }

  private prepare(db: Database.Database) {
    return {
      insertEvent: db.prepare(INSERT_ONE_SQL),
      insertEvents: db.prepare(INSERT_MANY_SQL),
      bytesSince: db.prepare('SELECT total(bytes) FROM events WHERE seq > ?').pluck(),
      dictGet: db.prepare('SELECT id FROM dict WHERE kind = ? AND value = ?').pluck(),
      dictPut: db.prepare('INSERT INTO dict (kind, value) VALUES (?, ?)'),
      addStat: db.prepare('UPDATE stats SET v = v + ? WHERE k = ?'),
      getStat: db.prepare('SELECT v FROM stats WHERE k = ?').pluck(),
      maxSeq: db.prepare('SELECT max(seq) FROM events').pluck(),
      getState: db.prepare('SELECT value FROM state WHERE key = ?').pluck(),
      setState: db.prepare(
        'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
      putRecord: db.prepare(
        'INSERT OR REPLACE INTO records (collection, id, tenant, status, ref, created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getRecord: db.prepare('SELECT id, tenant, status, ref, created_at, updated_at, doc FROM records WHERE collection = ? AND id = ?'),
      lastAudit: db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
      putAudit: db.prepare('INSERT INTO audit (seq, time, actor, action, target, doc, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      putSignal: db.prepare(
        'INSERT OR REPLACE INTO signals (id, tenant, kind, detector, level, score, time, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  private maxSeq(db: Database.Database): number {
    void db;
    return (this.stmts!.maxSeq.get() as number | undefined) ?? 0;
  }

  // ---------------------------------------------------------------------------------- events

  /**
   * Dictionary id of a host / user / tenant (inserted on first sight). `given` is the value as the
   * event carries it; hosts are stored under hostKey(given), and the cache is keyed by `given`
   * so the common case is one Map lookup per event and kind.
   */
  private intern(kind: 'host' | 'user' | 'tenant', given: string): number | null {
    const cache = this.dictIds[kind];
    let id = cache.get(given);
    if (id !== undefined) return id;
    const value = kind === 'host' ? hostKey(given) : given;
    if (value === undefined) return null;
    const s = this.stmts!;
    id = s.dictGet.get(kind, value) as number | undefined;
    if (id === undefined) id = Number(s.dictPut.run(kind, value).lastInsertRowid);
    if (cache.size > 100_000) cache.clear();
    cache.set(given, id);
    return id;
  }

  async appendEvents(events: GarrisonEvent[]): Promise<AppendResult> {
    await this.ready();
    this.writable();
    if (!Array.isArray(events)) throw new GarrisonError('STORE_BAD_EVENT', 'appendEvents expects an array of events');
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    for (let i = 0; i < events.length; i++) validateEvent(events[i], i);
    const n = events.length;
    let result: AppendResult;
    try {
      const w = this.writer;
      // On the thread path `events` is not referenced after the batch is encoded, so a caller
      // that drops it lets the event objects die young while the writer commits.
      result = w ? await this.writeOnThread(w, events) : this.appendTx.immediate(events);
    } catch (e) {
      this.clearDictCache(); // ids interned inside the rolled-back transaction are gone
      throw new GarrisonError('STORE_IO', `appending ${n} events to ${this.config.file} failed: ${(e as Error).message}`, {
        location: { file: this.config.file },
        cause: e,
      });
    }
    if (result.stored > 0) this.worker?.postMessage({ type: 'kick' });
    return result;
  }

  private clearDictCache(): void {
    for (const m of Object.values(this.dictIds)) m.clear();
  }

  /**
   * The body of appendEvents, one IMMEDIATE transaction: rows are bound into a prepared
   * multi-row INSERT (INSERT_ROWS rows per statement), the tail row by row. Duplicates (same
   * time and id) are ignored by the unique index; the stored rows are exactly those with a seq
   * above the max seq before the transaction, which is how the stored byte count stays exact.
   */
  private get appendTx() {
    this.appendTxFn ??= this.db!.transaction((evs: GarrisonEvent[]) => {
      const s = this.stmts!;
      const seq0 = (s.maxSeq.get() as number | null | undefined) ?? 0;
      const params: unknown[] = new Array(INSERT_ROWS * INSERT_COLS);
      let k = 0;
      let stored = 0;
      let bytes = 0;
      for (let i = 0; i < evs.length; i++) {
        const ev = evs[i];
        const { env, fields, host, user } = this.encode(ev);
        const size = env.length + (fields === null ? 0 : fields.length) + ev.raw.length;
        bytes += size;
        params[k++] = ev.id;
        params[k++] = Math.trunc(ev.time);
        params[k++] = Math.trunc(ev.ingestTime);
        params[k++] = this.intern('tenant', ev.tenant);
        params[k++] = host ? this.intern('host', host) : null;
        params[k++] = user ? this.intern('user', user) : null;
        params[k++] = ev.class.uid;
        params[k++] = size;
        params[k++] = env;
        params[k++] = fields;
        params[k++] = ev.raw;
        if (k === params.length) {
          stored += s.insertEvents.run(params).changes;
          k = 0;
        }
      }
      for (let j = 0; j < k; j += INSERT_COLS) stored += s.insertEvent.run(params.slice(j, j + INSERT_COLS)).changes;
      const duplicates = evs.length - stored;
      // With duplicates, count the bytes of the rows actually stored (a rowid range of this transaction).
      if (duplicates > 0) bytes = stored === 0 ? 0 : ((s.bytesSince.get(seq0) as number | null) ?? 0);
      if (bytes) s.addStat.run(bytes, 'event_bytes');
      if (duplicates) s.addStat.run(duplicates, 'duplicates');
      return { stored, duplicates };
    });
    return this.appendTxFn;
  }

  private toEvent(r: Row): GarrisonEvent {
    const env = JSON.parse(r.env) as Pick<GarrisonEvent, 'source' | 'class' | 'entities'>;
    return {
      id: r.id,
      time: r.time,
      ingestTime: r.ingest_time,
      tenant: r.tenant,
      source: env.source,
      class: env.class,
      entities: env.entities,
      fields: r.fields === '' ? rawScalarFields(r.raw) : (JSON.parse(r.fields ?? r.raw) as Record<string, unknown>),
      raw: r.raw,
    };
  }

  private static readonly COLS =
    "e.seq, e.id, e.time, e.ingest_time, (SELECT d.value FROM dict d WHERE d.id = e.tenant_id) AS tenant, e.env, e.fields, e.raw";

  async getEvents(ids: string[], tenant?: string): Promise<GarrisonEvent[]> {
    const db = await this.ready();
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new GarrisonError('BAD_REQUEST', 'ids must be an array of strings', { location: { field: 'ids' } });
    if (ids.length === 0) return [];
    if (ids.length > MAX_GET_IDS) throw new GarrisonError('BAD_REQUEST', `at most ${MAX_GET_IDS} ids per call (got ${ids.length})`, { location: { field: 'ids' } });
    // Ids from eventId() carry their time: look them up through the (time, id) index. Other ids scan.
    const tenantCond = tenant !== undefined ? " AND e.tenant_id = (SELECT id FROM dict WHERE kind = 'tenant' AND value = ?)" : '';
    const tail = tenant !== undefined ? [tenant] : [];
    const byTime = db.prepare(`SELECT ${SqliteStore.COLS} FROM events e WHERE e.time = ? AND e.id = ?${tenantCond}`);
    const rows: Row[] = [];
    const other: string[] = [];
    for (const id of new Set(ids)) {
      if (/^[0-9a-f]{32}$/.test(id)) {
        const r = byTime.get(parseInt(id.slice(0, 12), 16), id, ...tail) as Row | undefined;
        if (r) rows.push(r);
        else other.push(id);
      } else other.push(id);
    }
    if (other.length > 0) {
      const nonEventIds = other.filter((id) => !/^[0-9a-f]{32}$/.test(id));
      if (nonEventIds.length > 0) {
        rows.push(...(db.prepare(`SELECT ${SqliteStore.COLS} FROM events e WHERE e.id IN (SELECT value FROM json_each(?))${tenantCond}`).all(JSON.stringify(nonEventIds), ...tail) as Row[]));
      }
    }
    const byId = new Map(rows.map((r) => [r.id, this.toEvent(r)]));
    const out: GarrisonEvent[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const ev = byId.get(id);
      if (ev && !seen.has(id)) {
        out.push(ev);
        seen.add(id);
      }
    }
    return out;
  }

  async countEvents(opts: TimeRange & { tenant?: string } = {}): Promise<number> {
    const db = await this.ready();
    checkRange(opts.from, opts.to);
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.from !== undefined) {
      where.push('time >= ?');
      params.push(opts.from);
    }
    if (opts.to !== undefined) {
      where.push('time < ?');
      params.push(opts.to);
    }
    if (opts.tenant !== undefined) {
      where.push("tenant_id = (SELECT id FROM dict WHERE kind = 'tenant' AND value = ?)");
      params.push(opts.tenant);
    }
    const sql = `SELECT count(*) FROM events${where.length ? ' WHERE ' + where.join(' AND ') : ''}`;
    return db.prepare(sql).pluck().get(...params) as number;
  }

  async search(q: string, opts: SearchOptions = {}): Promise<SearchResult> {
    const db = await this.ready();
    checkRange(opts.from, opts.to);
    const limit = clampLimit(opts.limit);
    const order = opts.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new GarrisonError('BAD_REQUEST', "order must be 'asc' or 'desc'", { location: { field: 'order' } });
    const watermark = this.ftsOn ? this.readWatermark(db) : 0;
    const keys = this.keysOn(db) ? { watermark: this.readWatermark(db, 'keys_watermark'), from: opts.from, to: opts.to } : undefined;
    const dialect = sqliteDialect({ fts: this.ftsOn, watermark, keys });
    const params = dialect.newParams();
    const compiled = compileQuery(q, dialect, { params });
    const conds = [`(${compiled.where})`];
    if (opts.tenant !== undefined) conds.push(`e.tenant_id = (SELECT id FROM dict WHERE kind = 'tenant' AND value = ${params.add(opts.tenant)})`);
    if (opts.from !== undefined) conds.push(`e.time >= ${params.add(Math.trunc(opts.from))}`);
    if (opts.to !== undefined) conds.push(`e.time < ${params.add(Math.trunc(opts.to))}`);
    if (opts.cursor !== undefined) {
      const c = decodeCursor<string>(CURSOR_KIND, opts.cursor, 'string');
      const cmp = order === 'desc' ? '<' : '>';
      conds.push(`(e.time, e.id) ${cmp} (${params.add(c.time)}, ${params.add(c.key)})`);
    }
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT ${SqliteStore.COLS} FROM events e WHERE ${conds.join(' AND ')} ORDER BY e.time ${dir}, e.id ${dir} LIMIT ${params.add(limit + 1)}`;
    let rows: Row[];
    try {
      rows = db.prepare(sql).all(...params.values) as Row[];
    } catch (e) {
      throw new GarrisonError('STORE_IO', `search failed: ${(e as Error).message}`, { details: { sql }, cause: e });
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      events: rows.map((r) => this.toEvent(r)),
      nextCursor: more && last ? encodeCursor(CURSOR_KIND, last.time, last.id) : undefined,
      query: { text: q, sql, params: params.values },
    };
  }

  // ---------------------------------------------------------------------------------- signals

  async appendSignals(signals: Signal[]): Promise<void> {
    const db = await this.ready();
    this.writable();
    if (!Array.isArray(signals)) throw new GarrisonError('BAD_REQUEST', 'appendSignals expects an array');
    signals.forEach((sg, i) => {
      if (!sg || typeof sg.id !== 'string' || !sg.id || typeof sg.tenant !== 'string' || typeof sg.detector !== 'string' || !Number.isFinite(sg.time)) {
        throw new GarrisonError('BAD_REQUEST', `signal ${i}: id, tenant, detector and time are required`, { location: { index: i } });
      }
    });
    const s = this.stmts!;
    try {
      db.transaction(() => {
        for (const sg of signals) {
          s.putSignal.run(sg.id, sg.tenant, sg.kind, sg.detector, sg.level, sg.score, Math.trunc(sg.time), Math.trunc(sg.createdAt ?? Date.now()), JSON.stringify(sg));
        }
      }).immediate();
    } catch (e) {
      throw new GarrisonError('STORE_IO', `appending signals failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async querySignals(q: SignalQuery = {}): Promise<Signal[]> {
    const db = await this.ready();
    checkRange(q.from, q.to);
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(q.tenant);
    }
    if (q.detector !== undefined) {
      where.push('detector = ?');
      params.push(q.detector);
    }
    if (q.from !== undefined) {
      where.push('time >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('time < ?');
      params.push(q.to);
    }
    params.push(clampLimit(q.limit, 1000, 100_000));
    const sql = `SELECT doc FROM signals${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY time DESC, id DESC LIMIT ?`;
    return (db.prepare(sql).pluck().all(...params) as string[]).map((d) => JSON.parse(d) as Signal);
  }

  async getSignals(ids: string[], tenant?: string): Promise<Signal[]> {
    const db = await this.ready();
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new GarrisonError('BAD_REQUEST', 'ids must be an array of strings', { location: { field: 'ids' } });
    if (ids.length === 0) return [];
    if (ids.length > MAX_GET_IDS) throw new GarrisonError('BAD_REQUEST', `at most ${MAX_GET_IDS} ids per call (got ${ids.length})`, { location: { field: 'ids' } });
    const stmt = db.prepare(`SELECT doc FROM signals WHERE id = ?${tenant !== undefined ? ' AND tenant = ?' : ''}`).pluck();
    const out: Signal[] = [];
    for (const id of new Set(ids)) {
      const d = (tenant !== undefined ? stmt.get(id, tenant) : stmt.get(id)) as string | undefined;
      if (d !== undefined) out.push(JSON.parse(d) as Signal);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------- records

  async putRecords<T>(collection: RecordCollection, records: StoredRecord<T>[]): Promise<void> {
    const db = await this.ready();
    this.writable();
    checkCollection(collection);
    if (!Array.isArray(records)) throw new GarrisonError('BAD_REQUEST', 'putRecords expects an array');
    records.forEach((r, i) => validateRecord(r, i));
    const s = this.stmts!;
    try {
      db.transaction(() => {
        for (const r of records) s.putRecord.run(collection, r.id, r.tenant, r.status, r.ref, Math.trunc(r.createdAt), Math.trunc(r.updatedAt), JSON.stringify(r.doc));
      }).immediate();
    } catch (e) {
      throw new GarrisonError('STORE_IO', `writing ${collection} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async getRecord<T>(collection: RecordCollection, id: string): Promise<StoredRecord<T> | undefined> {
    await this.ready();
    checkCollection(collection);
    const row = this.stmts!.getRecord.get(collection, String(id)) as RecordRow | undefined;
    return row ? rowToRecord<T>(row) : undefined;
  }

  async listRecords<T>(collection: RecordCollection, q: RecordQuery = {}): Promise<StoredRecord<T>[]> {
    const db = await this.ready();
    checkCollection(collection);
    const where = ['collection = ?'];
    const params: unknown[] = [collection];
    if (q.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(q.tenant);
    }
    if (q.status !== undefined) {
      const st = Array.isArray(q.status) ? q.status : [q.status];
      where.push(`status IN (${st.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...st);
    }
    if (q.ref !== undefined) {
      where.push('ref = ?');
      params.push(q.ref);
    }
    if (q.updatedSince !== undefined) {
      where.push('updated_at >= ?');
      params.push(Math.trunc(q.updatedSince));
    }
    params.push(clampLimit(q.limit, 1000, 100_000));
    const rows = db
      .prepare(`SELECT id, tenant, status, ref, created_at, updated_at, doc FROM records WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT ?`)
      .all(...params) as RecordRow[];
    return rows.map((r) => rowToRecord<T>(r));
  }

  // ---------------------------------------------------------------------------------- audit

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    const db = await this.ready();
    this.writable();
    validateAudit(entry);
    const s = this.stmts!;
    try {
      return db
        .transaction(() => {
          const last = s.lastAudit.get() as { seq: number; hash: string } | undefined;
          const seq = (last?.seq ?? 0) + 1;
          const prevHash = last?.hash ?? AUDIT_GENESIS;
          const e = { seq, time: Math.trunc(entry.time ?? Date.now()), actor: entry.actor, action: entry.action, target: entry.target ?? null, doc: entry.doc };
          const hash = auditHash(prevHash, e);
          s.putAudit.run(seq, e.time, e.actor, e.action, e.target, JSON.stringify(e.doc), prevHash, hash);
          return { ...e, prevHash, hash };
        })
        .immediate();
    } catch (e) {
      throw new GarrisonError('STORE_IO', `appending to the audit log failed: ${(e as Error).message}`, { cause: e });
    }
  }

  async listAudit(q: { afterSeq?: number; limit?: number; target?: string } = {}): Promise<AuditEntry[]> {
    const db = await this.ready();
    const params: unknown[] = [Math.trunc(q.afterSeq ?? 0)];
    let where = 'seq > ?';
    if (q.target !== undefined) {
      where += ' AND target = ?';
      params.push(q.target);
    }
    params.push(clampLimit(q.limit, 1000, 100_000));
    const rows = db.prepare(`SELECT seq, time, actor, action, target, doc, prev_hash, hash FROM audit WHERE ${where} ORDER BY seq LIMIT ?`).all(...params) as AuditRow[];
    return rows.map(rowToAudit);
  }

  async verifyAudit(): Promise<AuditVerification> {
    return verifyAuditChain((q) => this.listAudit(q));
  }

  // ---------------------------------------------------------------------------------- retention

  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const db = await this.ready();
    this.writable();
    let deleted = 0;
    const purged: PurgedRow[] = [];
    const CHUNK = 10_000;
    type OldRow = [number, number, number, number | null, number | null, number];
    const COLS_OLD = 'seq, bytes, time, host_id, user_id, class_uid';
    const selOld = db.prepare(`SELECT ${COLS_OLD} FROM events WHERE time < ? ORDER BY time, seq LIMIT ?`).raw(true);
    const delRows = (rows: OldRow[]): void => {
      const del = db.prepare('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))');
      db.transaction(() => {
        del.run(JSON.stringify(rows.map((r) => r[0])));
        const bytes = rows.reduce((a, r) => a + r[1], 0);
        this.stmts!.addStat.run(-bytes, 'event_bytes');
      }).immediate();
      deleted += rows.length;
      for (const r of rows) purged.push([r[0], r[2], r[3], r[4], r[5]]);
    };
    try {
      if (policy.maxAgeMs !== undefined) {
        if (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs < 0) throw new GarrisonError('BAD_REQUEST', 'maxAgeMs must be a non-negative number', { location: { field: 'maxAgeMs' } });
        const cutoff = Date.now() - policy.maxAgeMs;
        for (;;) {
          const rows = selOld.all(cutoff, CHUNK) as OldRow[];
          if (rows.length === 0) break;
          delRows(rows);
          if (rows.length < CHUNK) break;
        }
      }
      if (policy.maxBytes !== undefined) {
        if (!Number.isFinite(policy.maxBytes) || policy.maxBytes < 0) throw new GarrisonError('BAD_REQUEST', 'maxBytes must be a non-negative number', { location: { field: 'maxBytes' } });
        const oldest = db.prepare(`SELECT ${COLS_OLD} FROM events ORDER BY time, seq LIMIT ?`).raw(true);
        for (;;) {
          const total = this.stmts!.getStat.get('event_bytes') as number;
          let excess = total - policy.maxBytes;
          if (excess <= 0) break;
          const rows = oldest.all(CHUNK) as OldRow[];
          if (rows.length === 0) break;
          const take: OldRow[] = [];
          for (const r of rows) {
            if (excess <= 0) break;
            take.push(r);
            excess -= r[1];
          }
          delRows(take);
        }
      }
    } catch (e) {
      if (e instanceof GarrisonError) throw e;
      throw new GarrisonError('STORE_IO', `retention failed on ${this.config.file}: ${(e as Error).message}`, { cause: e });
    }
    if (deleted > 0) {
      try {
        db.pragma('incremental_vacuum');
      } catch {
        /* best effort */
      }
      for (let i = 0; i < purged.length; i += 50_000) this.worker?.postMessage({ type: 'purge', rows: purged.slice(i, i + 50_000) });
    }
    return { deleted };
  }

  // ---------------------------------------------------------------------------------- state

  async getState(key: string): Promise<string | undefined> {
    await this.ready();
    if (typeof key !== 'string') throw new GarrisonError('BAD_REQUEST', 'state key must be a string', { location: { field: 'key' } });
    return (this.stmts!.getState.get(key) as string | undefined) ?? undefined;
  }

  async setState(key: string, value: string): Promise<void> {
    await this.ready();
    this.writable();
    if (typeof key !== 'string' || typeof value !== 'string') throw new GarrisonError('BAD_REQUEST', 'state key and value must be strings', { location: { field: 'key' } });
    this.stmts!.setState.run(key, value, Date.now());
  }

  // ---------------------------------------------------------------------------------- introspection

  async stats(): Promise<SqliteStoreStats> {
    const db = await this.ready();
    const s = this.stmts!;
    return {
      events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
      eventBytes: s.getStat.get('event_bytes') as number,
      duplicates: s.getStat.get('duplicates') as number,
      ftsWatermark: this.ftsOn ? this.readWatermark(db) : 0,
      keysWatermark: this.readWatermark(db, 'keys_watermark'),
      writer: this.writer ? 'thread' : this.writerFailed ? `inline (writer thread stopped: ${this.writerFailed})` : 'inline',
      maxSeq: this.maxSeq(db),
      ftsIndexed: this.ftsIndexed,
    };
  }
}

interface RecordRow {
  id: string;
  tenant: string;
  status: string;
  ref: string;
  created_at: number;
  updated_at: number;
  doc: string;
}
function rowToRecord<T>(r: RecordRow): StoredRecord<T> {
  return { id: r.id, tenant: r.tenant, status: r.status, ref: r.ref, createdAt: r.created_at, updatedAt: r.updated_at, doc: JSON.parse(r.doc) as T };
}
interface AuditRow {
  seq: number;
  time: number;
  actor: string;
  action: string;
  target: string | null;
  doc: string;
  prev_hash: string;
  hash: string;
}
function rowToAudit(r: AuditRow): AuditEntry {
  return { seq: r.seq, time: r.time, actor: r.actor, action: r.action, target: r.target, doc: JSON.parse(r.doc) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash };
}

/** Asks a store thread to stop and waits for it to exit; terminates it after `graceMs`. */
function stopThread(w: Worker, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => void w.terminate().then(() => resolve()), graceMs);
    w.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    w.postMessage({ type: 'stop' });
  });
}

/** Opens (lazily initialises on first use) the embedded SQLite store. */
export function openSqliteStore(config: SqliteStoreConfig): SqliteStore {
  return new SqliteStore(config);
}
