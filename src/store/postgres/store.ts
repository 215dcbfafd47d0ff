/**
 * The PostgreSQL Store (scale-out): pg pool, events as jsonb with a generated tsvector column
 * (GIN index) for full text, multi-row INSERT … SELECT FROM unnest(arrays) per batch (one round
 * trip for thousands of rows), the same search language through the PostgreSQL dialect.
 * Everything lives in one schema (config `schema`), created and migrated by init().
 */
import pg from 'pg';
import { z } from 'zod';
import { GarrisonError } from '../../core/errors.js';
import { hostKey, type GarrisonEvent } from '../../core/event.js';
import type { Signal } from '../../core/signal.js';
import type {
  AppendResult,
  AuditEntry,
  AuditInput,
  AuditVerification,
  RecordCollection,
  RecordQuery,
  RetentionPolicy,
  RetentionResult,
  SearchOptions,
  SearchResult,
  SignalQuery,
  Store,
  StoredRecord,
  TimeRange,
} from '../port.js';
import { AUDIT_GENESIS, auditHash, checkCollection, verifyAuditChain, checkRange, clampLimit, decodeCursor, encodeCursor, MAX_GET_IDS, validateAudit, validateEvent, validateRecord } from '../common.js';
import { compileQuery, postgresDialect } from '../query/compile.js';

export const PostgresStoreConfigSchema = z
  .object({
    /** libpq-style URL, e.g. postgres://user@127.0.0.1:5432/garrison */
    url: z.string().min(1),
    /** Schema holding Garrison's tables (an SQL identifier: lower-case letters, digits, _). */
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier').default('garrison'),
    poolSize: z.number().int().min(1).max(100).default(4),
    /** Rows per INSERT statement inside a batch's transaction. */
    insertChunk: z.number().int().min(1).max(50_000).default(2_000),
    statementTimeoutMs: z.number().int().min(0).max(3_600_000).default(60_000),
  })
  .strict();
export type PostgresStoreConfig = z.input<typeof PostgresStoreConfigSchema>;

const CURSOR_KIND = 'postgres';

const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'events, signals, incidents, actions, audit, state',
    sql: `
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  time bigint NOT NULL,
  ingest_time bigint NOT NULL,
  tenant text NOT NULL,
  host text,
  user_name text,
  class_uid integer NOT NULL,
  bytes integer NOT NULL,
  env jsonb NOT NULL,
  fields jsonb NOT NULL,
  raw text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, regexp_replace(raw, '[^[:alnum:]]+', ' ', 'g'))) STORED
);
CREATE INDEX events_time ON events (time, id);
CREATE INDEX events_host ON events (host, time) WHERE host IS NOT NULL;
CREATE INDEX events_user ON events (user_name, time) WHERE user_name IS NOT NULL;
CREATE INDEX events_class ON events (class_uid, time);
CREATE INDEX events_tsv ON events USING gin (tsv);

CREATE TABLE signals (
  id text PRIMARY KEY, tenant text NOT NULL, kind text NOT NULL, detector text NOT NULL, level text NOT NULL,
  score double precision NOT NULL, time bigint NOT NULL, created_at bigint NOT NULL, doc jsonb NOT NULL
);
CREATE INDEX signals_time ON signals (tenant, time);
CREATE INDEX signals_detector ON signals (detector, time);
CREATE TABLE incidents (
  id text PRIMARY KEY, tenant text NOT NULL, status text NOT NULL, severity text NOT NULL, title text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, doc jsonb NOT NULL
);
CREATE TABLE actions (
  id text PRIMARY KEY, incident_id text, tenant text NOT NULL, kind text NOT NULL, status text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, doc jsonb NOT NULL
);
CREATE TABLE audit (
  seq bigserial PRIMARY KEY, time bigint NOT NULL, actor text NOT NULL, action text NOT NULL, target text,
  doc jsonb NOT NULL, prev_hash text, hash text
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit is append-only'; END $$;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TABLE state (key text PRIMARY KEY, value text NOT NULL, updated_at bigint NOT NULL);
CREATE FUNCTION garrison_num(v text) RETURNS double precision LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF v IS NULL OR length(v) > 64 OR v !~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' THEN RETURN NULL; END IF;
  RETURN v::double precision;
EXCEPTION WHEN others THEN RETURN NULL;
END $$;
`,
  },
  {
    version: 2,
    name: 'records (incidents, investigations, actions, feedback, ...) replace the per-kind tables',
    sql: `
DROP TABLE incidents;
DROP TABLE actions;
CREATE TABLE records (
  collection text NOT NULL, id text NOT NULL, tenant text NOT NULL, status text NOT NULL, ref text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL, doc jsonb NOT NULL,
  PRIMARY KEY (collection, id)
);
CREATE INDEX records_updated ON records (collection, tenant, updated_at);
CREATE INDEX records_ref ON records (collection, ref);
`,
  },
];

type PgRecordRow = { id: string; tenant: string; status: string; ref: string; created_at: string; updated_at: string; doc: unknown };
function pgRowToRecord<T>(r: PgRecordRow): StoredRecord<T> {
  return { id: r.id, tenant: r.tenant, status: r.status, ref: r.ref, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at), doc: r.doc as T };
}
type PgAuditRow = { seq: string; time: string; actor: string; action: string; target: string | null; doc: Record<string, unknown>; prev_hash: string; hash: string };
function pgRowToAudit(r: PgAuditRow): AuditEntry {
  return { seq: Number(r.seq), time: Number(r.time), actor: r.actor, action: r.action, target: r.target, doc: r.doc, prevHash: r.prev_hash, hash: r.hash };
}

type Row = { id: string; time: string; ingest_time: string; tenant: string; env: GarrisonEvent; fields: Record<string, unknown>; raw: string };

/** PostgreSQL text and jsonb cannot hold NUL: it becomes U+FFFD (documented in docs/store.md). */
const NUL_RE = /\u0000/g;
const noNul = (s: string): string => (s.includes('\u0000') ? s.replace(NUL_RE, '\uFFFD') : s);
const nulReplacer = (_k: string, v: unknown): unknown => (typeof v === 'string' && v.includes('\u0000') ? v.replace(NUL_RE, '\uFFFD') : v);

export class PostgresStore implements Store {
  readonly config: z.output<typeof PostgresStoreConfigSchema>;
  private pool: pg.Pool | undefined;
  private closed = false;
  private initPromise: Promise<void> | undefined;

  constructor(config: PostgresStoreConfig) {
    const parsed = PostgresStoreConfigSchema.safeParse(config);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `store.${i.path.join('.')}: ${i.message}`);
      throw new GarrisonError('CONFIG_INVALID', `invalid PostgreSQL store configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
    }
    this.config = parsed.data;
  }

  private q(): string {
    return `"${this.config.schema}"`;
  }

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
    const pool = new pg.Pool({ connectionString: c.url, max: c.poolSize, statement_timeout: c.statementTimeoutMs || undefined });
    pool.on('error', () => {
      /* idle client errors surface on the next query */
    });
    pool.on('connect', (client) => {
      void client.query(`SET search_path TO ${this.q()}, public`).catch(() => undefined);
    });
    try {
      const client = await pool.connect();
      try {
        await client.query(`SET search_path TO ${this.q()}, public`);
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [`garrison-migrate:${c.schema}`]);
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.q()}`);
          await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
          const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
          const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
          const newest = Math.max(0, ...applied);
          if (newest > latest) throw new GarrisonError('STORE_SCHEMA', `schema ${c.schema} has version ${newest}, newer than this build (${latest})`);
          for (const m of MIGRATIONS) {
            if (applied.has(m.version)) continue;
            try {
              await client.query('BEGIN');
              await client.query(m.sql);
              await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
              await client.query('COMMIT');
            } catch (e) {
              await client.query('ROLLBACK').catch(() => undefined);
              throw new GarrisonError('STORE_SCHEMA', `migration ${m.version} (${m.name}) failed in schema ${c.schema}: ${(e as Error).message}`, { cause: e });
            }
          }
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`garrison-migrate:${c.schema}`]).catch(() => undefined);
        }
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof GarrisonError) throw e;
      throw new GarrisonError('STORE_IO', `cannot initialise PostgreSQL store (schema ${c.schema}): ${(e as Error).message}`, { cause: e });
    }
    this.pool = pool;
  }

  private closedError(): GarrisonError {
    return new GarrisonError('STORE_CLOSED', `the PostgreSQL store (schema ${this.config.schema}) is closed`);
  }

  private async ready(): Promise<pg.Pool> {
    if (this.closed) throw this.closedError();
    await this.init();
    if (this.closed || !this.pool) throw this.closedError();
    return this.pool;
  }

  private io(what: string, e: unknown): GarrisonError {
    if (e instanceof GarrisonError) return e;
    return new GarrisonError('STORE_IO', `${what} failed (PostgreSQL schema ${this.config.schema}): ${(e as Error).message}`, { cause: e });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.initPromise;
    } catch {
      /* nothing opened */
    }
    await this.pool?.end();
    this.pool = undefined;
  }

  async appendEvents(events: GarrisonEvent[]): Promise<AppendResult> {
    const pool = await this.ready();
    if (!Array.isArray(events)) throw new GarrisonError('STORE_BAD_EVENT', 'appendEvents expects an array of events');
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    for (let i = 0; i < events.length; i++) validateEvent(events[i], i);
    const client = await pool.connect();
    let stored = 0;
    try {
      await client.query('BEGIN');
      for (let off = 0; off < events.length; off += this.config.insertChunk) {
        const chunk = events.slice(off, off + this.config.insertChunk);
        const cols: unknown[][] = Array.from({ length: 11 }, () => []);
        for (const ev of chunk) {
          const ent = ev.entities ?? {};
          const env = JSON.stringify({ source: ev.source, class: ev.class, entities: ent }, nulReplacer);
          const fields = JSON.stringify(ev.fields ?? {}, nulReplacer);
          const raw = noNul(ev.raw);
          cols[0].push(ev.id);
          cols[1].push(Math.trunc(ev.time));
          cols[2].push(Math.trunc(ev.ingestTime));
          cols[3].push(ev.tenant);
          cols[4].push(hostKey(ent.host) ?? null);
          cols[5].push(ent.user || null);
          cols[6].push(ev.class.uid);
          cols[7].push(env.length + fields.length + raw.length);
          cols[8].push(env);
          cols[9].push(fields);
          cols[10].push(raw);
        }
        const r = await client.query(
          `INSERT INTO events (id, time, ingest_time, tenant, host, user_name, class_uid, bytes, env, fields, raw)
           SELECT id, time, ingest_time, tenant, host, user_name, class_uid, bytes, env::jsonb, fields::jsonb, raw
           FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::text[], $10::text[], $11::text[])
             AS t(id, time, ingest_time, tenant, host, user_name, class_uid, bytes, env, fields, raw)
           ON CONFLICT (id) DO NOTHING`,
          cols,
        );
        stored += r.rowCount ?? 0;
      }
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.io(`appending ${events.length} events`, e);
    } finally {
      client.release();
    }
    return { stored, duplicates: events.length - stored };
  }

  private toEvent(r: Row): GarrisonEvent {
    return {
      id: r.id,
      time: Number(r.time),
      ingestTime: Number(r.ingest_time),
      tenant: r.tenant,
      source: r.env.source,
      class: r.env.class,
      entities: r.env.entities,
      fields: r.fields,
      raw: r.raw,
    };
  }

  private static readonly COLS = 'e.id, e.time, e.ingest_time, e.tenant, e.env, e.fields, e.raw';

  async getEvents(ids: string[], tenant?: string): Promise<GarrisonEvent[]> {
    const pool = await this.ready();
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new GarrisonError('BAD_REQUEST', 'ids must be an array of strings', { location: { field: 'ids' } });
    if (ids.length === 0) return [];
    if (ids.length > MAX_GET_IDS) throw new GarrisonError('BAD_REQUEST', `at most ${MAX_GET_IDS} ids per call (got ${ids.length})`, { location: { field: 'ids' } });
    const params: unknown[] = [ids.map(noNul)];
    let sql = `SELECT ${PostgresStore.COLS} FROM events e WHERE e.id = ANY($1::text[])`;
    if (tenant !== undefined) {
      params.push(tenant);
      sql += ' AND e.tenant = $2';
    }
    try {
      const rows = (await pool.query<Row>(sql, params)).rows;
      const byId = new Map(rows.map((r) => [r.id, this.toEvent(r)]));
      const out: GarrisonEvent[] = [];
      for (const id of new Set(ids)) {
        const ev = byId.get(id);
        if (ev) out.push(ev);
      }
      return out;
    } catch (e) {
      throw this.io('getEvents', e);
    }
  }

  async countEvents(opts: TimeRange & { tenant?: string } = {}): Promise<number> {
    const pool = await this.ready();
    checkRange(opts.from, opts.to);
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.from !== undefined) where.push(`time >= $${params.push(Math.trunc(opts.from))}`);
    if (opts.to !== undefined) where.push(`time < $${params.push(Math.trunc(opts.to))}`);
    if (opts.tenant !== undefined) where.push(`tenant = $${params.push(opts.tenant)}`);
    try {
      const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM events${where.length ? ' WHERE ' + where.join(' AND ') : ''}`, params);
      return Number(r.rows[0].n);
    } catch (e) {
      throw this.io('countEvents', e);
    }
  }

  async search(q: string, opts: SearchOptions = {}): Promise<SearchResult> {
    const pool = await this.ready();
    checkRange(opts.from, opts.to);
    const limit = clampLimit(opts.limit);
    const order = opts.order ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new GarrisonError('BAD_REQUEST', "order must be 'asc' or 'desc'", { location: { field: 'order' } });
    const dialect = postgresDialect();
    const params = dialect.newParams();
    const compiled = compileQuery(q, dialect, { params });
    const conds = [`(${compiled.where})`];
    if (opts.tenant !== undefined) conds.push(`e.tenant = ${params.add(opts.tenant)}::text`);
    if (opts.from !== undefined) conds.push(`e.time >= ${params.add(Math.trunc(opts.from))}::bigint`);
    if (opts.to !== undefined) conds.push(`e.time < ${params.add(Math.trunc(opts.to))}::bigint`);
    if (opts.cursor !== undefined) {
      const c = decodeCursor<string>(CURSOR_KIND, opts.cursor, 'string');
      conds.push(`(e.time, e.id) ${order === 'desc' ? '<' : '>'} (${params.add(c.time)}::bigint, ${params.add(c.key)}::text)`);
    }
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT ${PostgresStore.COLS} FROM events e WHERE ${conds.join(' AND ')} ORDER BY e.time ${dir}, e.id ${dir} LIMIT ${params.add(limit + 1)}::int`;
    let rows: Row[];
    try {
      rows = (await pool.query<Row>(sql, params.values)).rows;
    } catch (e) {
      throw this.io('search', e);
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      events: rows.map((r) => this.toEvent(r)),
      nextCursor: more && last ? encodeCursor(CURSOR_KIND, Number(last.time), last.id) : undefined,
      query: { text: q, sql, params: params.values },
    };
  }

  async appendSignals(signals: Signal[]): Promise<void> {
    const pool = await this.ready();
    if (!Array.isArray(signals)) throw new GarrisonError('BAD_REQUEST', 'appendSignals expects an array');
    signals.forEach((sg, i) => {
      if (!sg || typeof sg.id !== 'string' || !sg.id || typeof sg.tenant !== 'string' || typeof sg.detector !== 'string' || !Number.isFinite(sg.time)) {
        throw new GarrisonError('BAD_REQUEST', `signal ${i}: id, tenant, detector and time are required`, { location: { index: i } });
      }
    });
    if (signals.length === 0) return;
    try {
      await pool.query(
        `INSERT INTO signals (id, tenant, kind, detector, level, score, time, created_at, doc)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bigint[], $8::bigint[], $9::jsonb[])
         ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, kind = excluded.kind, detector = excluded.detector, level = excluded.level,
           score = excluded.score, time = excluded.time, created_at = excluded.created_at, doc = excluded.doc`,
        [
          signals.map((s) => s.id),
          signals.map((s) => s.tenant),
          signals.map((s) => s.kind),
          signals.map((s) => s.detector),
          signals.map((s) => s.level),
          signals.map((s) => s.score),
          signals.map((s) => Math.trunc(s.time)),
          signals.map((s) => Math.trunc(s.createdAt ?? Date.now())),
          signals.map((s) => JSON.stringify(s, nulReplacer)),
        ],
      );
    } catch (e) {
      throw this.io('appendSignals', e);
    }
  }

  async querySignals(q: SignalQuery = {}): Promise<Signal[]> {
    const pool = await this.ready();
    checkRange(q.from, q.to);
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.tenant !== undefined) where.push(`tenant = $${params.push(q.tenant)}`);
    if (q.detector !== undefined) where.push(`detector = $${params.push(q.detector)}`);
    if (q.from !== undefined) where.push(`time >= $${params.push(Math.trunc(q.from))}`);
    if (q.to !== undefined) where.push(`time < $${params.push(Math.trunc(q.to))}`);
    const lim = clampLimit(q.limit, 1000, 100_000);
    try {
      const r = await pool.query<{ doc: Signal }>(
        `SELECT doc FROM signals${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY time DESC, id DESC LIMIT $${params.push(lim)}`,
        params,
      );
      return r.rows.map((x) => x.doc);
    } catch (e) {
      throw this.io('querySignals', e);
    }
  }

  async getSignals(ids: string[], tenant?: string): Promise<Signal[]> {
    const pool = await this.ready();
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new GarrisonError('BAD_REQUEST', 'ids must be an array of strings', { location: { field: 'ids' } });
    if (ids.length === 0) return [];
    if (ids.length > MAX_GET_IDS) throw new GarrisonError('BAD_REQUEST', `at most ${MAX_GET_IDS} ids per call (got ${ids.length})`, { location: { field: 'ids' } });
    const params: unknown[] = [ids.map(noNul)];
    let sql = 'SELECT id, doc FROM signals WHERE id = ANY($1::text[])';
    if (tenant !== undefined) sql += ` AND tenant = $${params.push(tenant)}`;
    try {
      const rows = (await pool.query<{ id: string; doc: Signal }>(sql, params)).rows;
      const byId = new Map(rows.map((r) => [r.id, r.doc]));
      const out: Signal[] = [];
      for (const id of new Set(ids)) {
        const s = byId.get(id);
        if (s) out.push(s);
      }
      return out;
    } catch (e) {
      throw this.io('getSignals', e);
    }
  }

  async applyRetention(policy: RetentionPolicy): Promise<RetentionResult> {
    const pool = await this.ready();
    let deleted = 0;
    try {
      if (policy.maxAgeMs !== undefined) {
        if (!Number.isFinite(policy.maxAgeMs) || policy.maxAgeMs < 0) throw new GarrisonError('BAD_REQUEST', 'maxAgeMs must be a non-negative number', { location: { field: 'maxAgeMs' } });
        const r = await pool.query('DELETE FROM events WHERE time < $1', [Math.trunc(Date.now() - policy.maxAgeMs)]);
        deleted += r.rowCount ?? 0;
      }
      if (policy.maxBytes !== undefined) {
        if (!Number.isFinite(policy.maxBytes) || policy.maxBytes < 0) throw new GarrisonError('BAD_REQUEST', 'maxBytes must be a non-negative number', { location: { field: 'maxBytes' } });
        const total = Number((await pool.query<{ b: string | null }>('SELECT sum(bytes) AS b FROM events')).rows[0].b ?? 0);
        const excess = total - policy.maxBytes;
        if (excess > 0) {
          const r = await pool.query(
            `DELETE FROM events WHERE (time, id) <= (
               SELECT time, id FROM (SELECT time, id, sum(bytes) OVER (ORDER BY time, id) AS cum FROM events) x
               WHERE cum >= $1 ORDER BY time, id LIMIT 1)`,
            [excess],
          );
          deleted += r.rowCount ?? 0;
        }
      }
    } catch (e) {
      throw this.io('retention', e);
    }
    return { deleted };
  }

  async getState(key: string): Promise<string | undefined> {
    const pool = await this.ready();
    if (typeof key !== 'string') throw new GarrisonError('BAD_REQUEST', 'state key must be a string', { location: { field: 'key' } });
    try {
      const r = await pool.query<{ value: string }>('SELECT value FROM state WHERE key = $1', [noNul(key)]);
      return r.rows[0]?.value;
    } catch (e) {
      throw this.io('getState', e);
    }
  }

  async setState(key: string, value: string): Promise<void> {
    const pool = await this.ready();
    if (typeof key !== 'string' || typeof value !== 'string') throw new GarrisonError('BAD_REQUEST', 'state key and value must be strings', { location: { field: 'key' } });
    try {
      await pool.query(
        'INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        [noNul(key), noNul(value), Date.now()],
      );
    } catch (e) {
      throw this.io('setState', e);
    }
  }

  // ---------------------------------------------------------------------------------- records

  async putRecords<T>(collection: RecordCollection, records: StoredRecord<T>[]): Promise<void> {
    const pool = await this.ready();
    checkCollection(collection);
    if (!Array.isArray(records)) throw new GarrisonError('BAD_REQUEST', 'putRecords expects an array');
    records.forEach((r, i) => validateRecord(r, i));
    if (records.length === 0) return;
    // Last write wins for a repeated id inside one batch (as in SQLite's INSERT OR REPLACE).
    const byId = new Map<string, StoredRecord<T>>();
    for (const r of records) byId.set(noNul(r.id), r);
    const rs = [...byId.entries()];
    try {
      await pool.query(
        `INSERT INTO records (collection, id, tenant, status, ref, created_at, updated_at, doc)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::jsonb[])
         ON CONFLICT (collection, id) DO UPDATE SET tenant = excluded.tenant, status = excluded.status, ref = excluded.ref,
           created_at = excluded.created_at, updated_at = excluded.updated_at, doc = excluded.doc`,
        [
          collection,
          rs.map(([id]) => id),
          rs.map(([, r]) => noNul(r.tenant)),
          rs.map(([, r]) => noNul(r.status)),
          rs.map(([, r]) => noNul(r.ref)),
          rs.map(([, r]) => Math.trunc(r.createdAt)),
          rs.map(([, r]) => Math.trunc(r.updatedAt)),
          rs.map(([, r]) => JSON.stringify(r.doc, nulReplacer)),
        ],
      );
    } catch (e) {
      throw this.io(`writing ${collection}`, e);
    }
  }

  async getRecord<T>(collection: RecordCollection, id: string): Promise<StoredRecord<T> | undefined> {
    const pool = await this.ready();
    checkCollection(collection);
    try {
      const r = await pool.query<PgRecordRow>('SELECT id, tenant, status, ref, created_at, updated_at, doc FROM records WHERE collection = $1 AND id = $2', [
        collection,
        noNul(String(id)),
      ]);
      return r.rows[0] ? pgRowToRecord<T>(r.rows[0]) : undefined;
    } catch (e) {
      throw this.io(`reading ${collection}`, e);
    }
  }

  async listRecords<T>(collection: RecordCollection, q: RecordQuery = {}): Promise<StoredRecord<T>[]> {
    const pool = await this.ready();
    checkCollection(collection);
    const params: unknown[] = [collection];
    const where = ['collection = $1'];
    if (q.tenant !== undefined) where.push(`tenant = $${params.push(noNul(q.tenant))}`);
    if (q.status !== undefined) where.push(`status = ANY($${params.push((Array.isArray(q.status) ? q.status : [q.status]).map(noNul))}::text[])`);
    if (q.ref !== undefined) where.push(`ref = $${params.push(noNul(q.ref))}`);
    if (q.updatedSince !== undefined) where.push(`updated_at >= $${params.push(Math.trunc(q.updatedSince))}`);
    const lim = clampLimit(q.limit, 1000, 100_000);
    try {
      const r = await pool.query<PgRecordRow>(
        `SELECT id, tenant, status, ref, created_at, updated_at, doc FROM records WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT $${params.push(lim)}`,
        params,
      );
      return r.rows.map((x) => pgRowToRecord<T>(x));
    } catch (e) {
      throw this.io(`listing ${collection}`, e);
    }
  }

  // ---------------------------------------------------------------------------------- audit

  async appendAudit(entry: AuditInput): Promise<AuditEntry> {
    const pool = await this.ready();
    validateAudit(entry);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // One writer at a time extends the chain.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`garrison-audit:${this.config.schema}`]);
      const last = (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1')).rows[0];
      const seq = Number(last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? AUDIT_GENESIS;
      // Hash what PostgreSQL will hand back (NUL replaced), so verification recomputes the same value.
      const doc = JSON.parse(JSON.stringify(entry.doc, nulReplacer)) as Record<string, unknown>;
      const e = { seq, time: Math.trunc(entry.time ?? Date.now()), actor: noNul(entry.actor), action: noNul(entry.action), target: entry.target === undefined ? null : noNul(entry.target), doc };
      const hash = auditHash(prevHash, e);
      await client.query('INSERT INTO audit (seq, time, actor, action, target, doc, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        seq,
        e.time,
        e.actor,
        e.action,
        e.target,
        JSON.stringify(doc),
        prevHash,
        hash,
      ]);
      await client.query('COMMIT');
      return { ...e, prevHash, hash };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.io('appending to the audit log', e);
    } finally {
      client.release();
    }
  }

  async listAudit(q: { afterSeq?: number; limit?: number; target?: string } = {}): Promise<AuditEntry[]> {
    const pool = await this.ready();
    const params: unknown[] = [Math.trunc(q.afterSeq ?? 0)];
    let where = 'seq > $1';
    if (q.target !== undefined) where += ` AND target = $${params.push(noNul(q.target))}`;
    try {
      const r = await pool.query<PgAuditRow>(
        `SELECT seq, time, actor, action, target, doc, prev_hash, hash FROM audit WHERE ${where} ORDER BY seq LIMIT $${params.push(clampLimit(q.limit, 1000, 100_000))}`,
        params,
      );
      return r.rows.map(pgRowToAudit);
    } catch (e) {
      throw this.io('listing the audit log', e);
    }
  }

  async verifyAudit(): Promise<AuditVerification> {
    return verifyAuditChain((q) => this.listAudit(q));
  }

  /** Drops the whole schema (tests). */
  async dropSchema(): Promise<void> {
    const pool = await this.ready();
    await pool.query(`DROP SCHEMA IF EXISTS ${this.q()} CASCADE`);
  }
}

export function openPostgresStore(config: PostgresStoreConfig): PostgresStore {
  return new PostgresStore(config);
}
