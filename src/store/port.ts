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
  applyRetention(policy: RetentionPolicy): Promise<RetentionResult>;
  /** Generic key/value state for later stages (baselines, cursors, settings). */
  getState(key: string): Promise<string | undefined>;
  setState(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}
