/**
 * The contract between ingest sources (HEC, API, syslog, files) and the pipeline.
 * Implemented by ingest/pipeline.ts.
 */
import type { GarrisonError } from '../core/errors.js';
import type { RawRecord } from '../normalize/types.js';

export interface RejectedRecord {
  origin: string;
  error: GarrisonError;
}

export interface IngestOutcome {
  /** Newly stored events (durable when submit() resolves). */
  stored: number;
  duplicates: number;
  rejected: RejectedRecord[];
}

export interface IngestSink {
  /**
   * Normalizes and durably stores the records. Resolves only once the stored events are
   * committed, so a source may acknowledge them. Rejects with GarrisonError BUSY when the
   * bounded queue is full (the source answers 503 / HEC code 9) and SHUTTING_DOWN on close.
   */
  submit(records: RawRecord[]): Promise<IngestOutcome>;
}

/**
 * A standalone ingest source (syslog listeners, ...). HTTP sources (HEC, /api/v1/events) are
 * routes of the server instead. Sources are listed in ingest/sources.ts with their zod config.
 */
export interface Source {
  readonly name: string;
  /** Starts listening; resolves once ready (ports bound). */
  start(sink: IngestSink): Promise<void>;
  /** Stops accepting, waits for in-flight submits to settle. */
  stop(): Promise<void>;
  /** Counters for /metrics and the operations view. */
  stats(): { received: number; rejected: number; lastSeen?: number };
}
