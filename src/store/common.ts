/**
 * Helpers shared by the Store implementations: input validation, paging cursors, limits.
 */
import { createHash } from 'node:crypto';
import { RECORD_COLLECTIONS, type AuditEntry, type AuditInput, type AuditVerification, type RecordCollection, type StoredRecord } from './port.js';
import { GarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';

export const DEFAULT_SEARCH_LIMIT = 100;
export const MAX_SEARCH_LIMIT = 10_000;
export const MAX_GET_IDS = 10_000;

export function clampLimit(limit: number | undefined, dflt = DEFAULT_SEARCH_LIMIT, max = MAX_SEARCH_LIMIT): number {
  if (limit === undefined) return dflt;
  if (!Number.isFinite(limit) || limit < 1) {
    throw new GarrisonError('BAD_REQUEST', `limit must be a positive integer (got ${String(limit)})`, { location: { field: 'limit' } });
  }
  return Math.min(Math.floor(limit), max);
}

/** Checks what the store relies on; throws STORE_BAD_EVENT naming the batch index. */
export function validateEvent(ev: GarrisonEvent, index: number): void {
  const bad = (what: string): never => {
    throw new GarrisonError('STORE_BAD_EVENT', `event ${index}: ${what}`, { location: { index } });
  };
  if (ev === null || typeof ev !== 'object') bad('not an object');
  if (typeof ev.id !== 'string' || ev.id.length === 0 || ev.id.length > 128) bad('id must be a non-empty string of at most 128 characters');
  if (typeof ev.time !== 'number' || !Number.isFinite(ev.time)) bad('time must be a finite number (ms epoch)');
  if (typeof ev.ingestTime !== 'number' || !Number.isFinite(ev.ingestTime)) bad('ingestTime must be a finite number (ms epoch)');
  if (typeof ev.tenant !== 'string' || ev.tenant.length === 0) bad('tenant must be a non-empty string');
  if (typeof ev.raw !== 'string') bad('raw must be a string');
  if (!ev.class || typeof ev.class.uid !== 'number') bad('class.uid must be a number');
}

/** Paging cursor: the sort key of the last row returned, tagged with the store kind. */
export function encodeCursor(kind: string, time: number, key: string | number): string {
  return Buffer.from(JSON.stringify([kind, time, key]), 'utf8').toString('base64url');
}

export function decodeCursor<K extends string | number>(kind: string, cursor: string, keyType: 'string' | 'number'): { time: number; key: K } {
  const fail = (): never => {
    throw new GarrisonError('STORE_BAD_CURSOR', 'the cursor is malformed or belongs to another store', { location: { field: 'cursor' } });
  };
  if (typeof cursor !== 'string' || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) fail();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    fail();
  }
  if (!Array.isArray(v) || v.length !== 3 || v[0] !== kind || typeof v[1] !== 'number' || !Number.isFinite(v[1]) || typeof v[2] !== keyType) fail();
  const arr = v as [string, number, K];
  return { time: arr[1], key: arr[2] };
}

/** Validated time range: numbers in ms, from < to when both given. */
export function checkRange(from?: number, to?: number): void {
  for (const [name, v] of [['from', from], ['to', to]] as const) {
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new GarrisonError('BAD_REQUEST', `${name} must be a time in ms since the epoch`, { location: { field: name } });
    }
  }
}

// ------------------------------------------------------------------------------------ records, audit


export function checkCollection(c: RecordCollection): void {
  if (!RECORD_COLLECTIONS.includes(c)) throw new GarrisonError('BAD_REQUEST', `unknown record collection ${JSON.stringify(c)}`, { location: { field: 'collection' } });
}

export function validateRecord(r: StoredRecord, i: number): void {
  if (!r || typeof r.id !== 'string' || !r.id || typeof r.tenant !== 'string' || typeof r.status !== 'string' || typeof r.ref !== 'string' || !Number.isFinite(r.createdAt) || !Number.isFinite(r.updatedAt) || r.doc === undefined) {
    throw new GarrisonError('BAD_REQUEST', `record ${i}: id, tenant, status, ref, createdAt, updatedAt and doc are required`, { location: { index: i } });
  }
}

export function validateAudit(a: AuditInput): void {
  if (!a || typeof a.actor !== 'string' || !a.actor || typeof a.action !== 'string' || !a.action || (a.target !== undefined && typeof a.target !== 'string') || typeof a.doc !== 'object' || a.doc === null) {
    throw new GarrisonError('BAD_REQUEST', 'audit entries need actor, action, an optional string target and a doc object');
  }
}

/** JSON with object keys sorted, so the same value always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return '[' + v.map((x) => canonicalJson(x === undefined ? null : x)).join(',') + ']';
  const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((v as Record<string, unknown>)[k])).join(',') + '}';
}

export const AUDIT_GENESIS = '0'.repeat(64);

export function auditHash(prevHash: string, e: { seq: number; time: number; actor: string; action: string; target: string | null; doc: unknown }): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, doc: e.doc }))
    .digest('hex');
}

/**
 * Recomputes the audit hash chain page by page (oldest first), through the store's own `listAudit`,
 * so both implementations verify the same way with bounded memory.
 */
export async function verifyAuditChain(listAudit: (q: { afterSeq: number; limit: number }) => Promise<AuditEntry[]>): Promise<AuditVerification> {
  let prev = AUDIT_GENESIS;
  let n = 0;
  let after = 0;
  for (;;) {
    const page = await listAudit({ afterSeq: after, limit: 10_000 });
    if (page.length === 0) return { ok: true, entries: n };
    for (const e of page) {
      if (e.seq !== n + 1 || e.prevHash !== prev || auditHash(prev, e) !== e.hash) return { ok: false, entries: n, brokenAt: e.seq };
      prev = e.hash;
      n++;
      after = e.seq;
    }
  }
}
