/**
 * The Store port. Two implementations pass the same contract suite (store/contract.ts):
 * the embedded SQLite store (store/sqlite) and, for scale-out, PostgreSQL (store/postgres).
 *
 * All methods are async so that a networked implementation fits; the SQLite implementation
 * does its work synchronously inside them.
 */
import type { GarrisonEvent } from '../core/event.js';
import type { Signal } from '../core/signal.js';

export interface AppendResult {
  /** Events newly written. */
  stored: number;
  /** Events whose id was already present (idempotent re-ingest). */
  duplicates: number;
}

export interface TimeRange {
  /** Inclusive lower bound, ms epoch. */
  from?: number;
  /** Exclusive upper bound, ms epoch. */
  to?: number;
}

export interface SearchOptions extends TimeRange {
  tenant?: string;
  limit?: number;
  /** Opaque cursor returned by a previous page. */
  cursor?: string;
  order?: 'asc' | 'desc';
}

export interface SearchResult {
  events: GarrisonEvent[];
  /** Set when more results exist. */
  nextCursor?: string;
  /** The parameterised SQL that ran and its parameters (shown to hunters and cited by evidence). */
  query: { text: string; sql: string; params: unknown[] };
}

export interface RetentionPolicy {
  /** Delete events older than this many ms (by event time). */
  maxAgeMs?: number;
  /** Delete oldest events until the event data is under this many bytes. */
  maxBytes?: number;
}

export interface RetentionResult {
  deleted: number;
}

export interface SignalQuery extends TimeRange {
  tenant?: string;
  detector?: string;
  limit?: number;
}

/**
 * Documents that later stages keep: incidents, investigations, actions, analyst feedback, saved
 * searches, users. Each collection stores a JSON document with a few indexed columns.
 */
export type RecordCollection = 'incidents' | 'investigations' | 'actions' | 'feedback' | 'saved_searches' | 'users' | 'intel';
export const RECORD_COLLECTIONS: readonly RecordCollection[] = ['incidents', 'investigations', 'actions', 'feedback', 'saved_searches', 'users', 'intel'];

export interface StoredRecord<T = unknown> {
  id: string;
  tenant: string;
  /** Collection-specific status (incident status, action state ...); '' when none. */
  status: string;
  /** Id of the record this one belongs to (an action's or investigation's incident); '' when none. */
  ref: string;
  createdAt: number;
  updatedAt: number;
  doc: T;
}

export interface RecordQuery {
  tenant?: string;
  status?: string | string[];
  ref?: string;
  /** Only records updated at or after this time (ms epoch). */
  updatedSince?: number;
  limit?: number;
}

export interface AuditInput {
  time?: number;
  /** Who or what: 'user:alice', 'policy:auto', 'system'. */
  actor: string;
  /** What happened: 'action.execute', 'incident.verdict', 'policy.change' ... */
  action: string;
  /** What it was done to (an action id, incident id, host ...). */
  target?: string;
  doc: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditInput, 'target'>> {
  seq: number;
  target: string | null;
  prevHash: string;
  /** sha256 over prevHash and the canonical JSON of {seq,time,actor,action,target,doc}. */
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** First seq whose hash does not match (tampering or corruption). */
  brokenAt?: number;
}

export interface Store {
  /** Create tables / run migrations. Idempotent. */
  init(): Promise<void>;
  /** Durably stores a batch (one transaction). Resolves only once the batch is committed. */
  appendEvents(events: GarrisonEvent[]): Promise<AppendResult>;
  getEvents(ids: string[], tenant?: string): Promise<GarrisonEvent[]>;
  /** Runs a hunter query in Garrison's search language (store/query). */
  search(q: string, opts?: SearchOptions): Promise<SearchResult>;
  countEvents(opts?: TimeRange & { tenant?: string }): Promise<number>;
  appendSignals(signals: Signal[]): Promise<void>;
  querySignals(q?: SignalQuery): Promise<Signal[]>;
  /** Signals by id (at most 10,000 ids), in the order of first appearance in `ids`; unknown ids are skipped. */
  getSignals(ids: string[], tenant?: string): Promise<Signal[]>;
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  /** Inserts or replaces records (by collection + id) in one transaction. */
  putRecords<T>(collection: RecordCollection, records: StoredRecord<T>[]): Promise<void>;
  getRecord<T>(collection: RecordCollection, id: string): Promise<StoredRecord<T> | undefined>;
  /** Newest-updated first. */
  listRecords<T>(collection: RecordCollection, q?: RecordQuery): Promise<StoredRecord<T>[]>;
  /** Appends to the hash-chained, append-only audit log; returns the stored entry. */
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** Oldest first, seq > afterSeq. */
  listAudit(q?: { afterSeq?: number; limit?: number; target?: string }): Promise<AuditEntry[]>;
  /** Recomputes the hash chain. */
  verifyAudit(): Promise<AuditVerification>;
  /** Generic key/value state for later stages (baselines, cursors, settings). */
  getState(key: string): Promise<string | undefined>;
  setState(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
