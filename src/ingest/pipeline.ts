/**
 * The ingest pipeline: the one IngestSink every source submits to.
 *
 *   source ──submit(records)──▶ normalize (parseRecord) ──▶ bounded queue ──▶ store.appendEvents
 *                                                                              │ committed
 *                                        submit() resolves (sources may ack) ◀─┤
 *                                             onStored listeners (detect …)  ◀─┘
 *
 * - Normalization runs in submit(), in the caller's turn, so a rejected record is reported to
 *   the source that sent it (with its origin) while the good records of the batch go on.
 * - The queue is bounded in events and bytes. When a submit would exceed either bound it is
 *   refused at once with GarrisonError BUSY (HTTP 503 / HEC code 9) instead of buffering.
 * - One writer drains the queue: each submit is one store transaction, written back to back,
 *   so acknowledgements and duplicate counts are exact per submit. submit() resolves only after
 *   the commit, which is what makes acknowledgements safe.
 * - close() refuses new work (SHUTTING_DOWN), waits until everything accepted is committed.
 */
import type { GarrisonEvent } from '../core/event.js';
import { GarrisonError, toGarrisonError } from '../core/errors.js';
import { parseRecord } from '../normalize/registry.js';
import type { ParseResult, RawRecord } from '../normalize/types.js';
import type { Store } from '../store/port.js';
import type { IngestOutcome, IngestSink, RejectedRecord } from './sink.js';

export interface PipelineOptions {
  store: Store;
  /** Record → event; defaults to the parser registry. */
  parse?: (rec: RawRecord) => ParseResult;
  /** Most events accepted but not yet committed. Default 100,000. */
  maxQueuedEvents?: number;
  /** Most bytes of raw text accepted but not yet committed. Default 256 MiB. */
  maxQueuedBytes?: number;
  /** Largest raw record accepted, in bytes (UTF-16 length as an approximation). Default 1 MiB. */
  maxEventBytes?: number;
  /** Called after each committed write, for metrics. */
  onWrite?: (info: { events: number; stored: number; duplicates: number; ms: number }) => void;
}

export type StoredListener = (events: GarrisonEvent[]) => void;

export interface PipelineStats {
  received: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  /** Submits refused because the queue was full. */
  busy: number;
  queuedEvents: number;
  queuedBytes: number;
  writes: number;
  writeErrors: number;
  lastWriteMs: number;
}

export interface Pipeline extends IngestSink {
  /** Registers a listener called with every committed batch; returns an unsubscribe function. */
  onStored(listener: StoredListener): () => void;
  stats(): PipelineStats;
  /** Refuses new submits and resolves once everything accepted is committed. Idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

interface Pending {
  events: GarrisonEvent[];
  bytes: number;
  rejected: RejectedRecord[];
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
}

export const DEFAULT_MAX_EVENT_BYTES = 1 << 20;

export function createPipeline(opts: PipelineOptions): Pipeline {
  const store = opts.store;
  const parse = opts.parse ?? parseRecord;
  const maxEvents = opts.maxQueuedEvents ?? 100_000;
  const maxBytes = opts.maxQueuedBytes ?? 256 * 1024 * 1024;
  const maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const listeners = new Set<StoredListener>();
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let closing = false;
  const st: PipelineStats = {
    received: 0,
    stored: 0,
    duplicates: 0,
    rejected: 0,
    rejectedByCode: {},
    busy: 0,
    queuedEvents: 0,
    queuedBytes: 0,
    writes: 0,
    writeErrors: 0,
    lastWriteMs: 0,
  };

  function reject(rejected: RejectedRecord[], origin: string, error: GarrisonError): void {
    rejected.push({ origin, error });
    st.rejected++;
    st.rejectedByCode[error.code] = (st.rejectedByCode[error.code] ?? 0) + 1;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const p = queue.shift()!;
      const n = p.events.length;
      // Without listeners nothing needs the event objects after the store has taken the batch:
      // dropping them here lets them die young (fewer promotions, less memory) while it commits.
      const notify = listeners.size > 0;
      const t0 = performance.now();
      try {
        const res = await write(p, notify);
        const ms = performance.now() - t0;
        st.writes++;
        st.lastWriteMs = ms;
        st.stored += res.stored;
        st.duplicates += res.duplicates;
        opts.onWrite?.({ events: n, stored: res.stored, duplicates: res.duplicates, ms });
        p.resolve({ stored: res.stored, duplicates: res.duplicates, rejected: p.rejected });
        if (notify) {
          for (const l of listeners) {
            try {
              l(p.events);
            } catch {
              // A listener's failure never fails the acknowledgement; listeners report their own errors.
            }
          }
        }
      } catch (e) {
        st.writeErrors++;
        p.reject(toGarrisonError(e));
      } finally {
        st.queuedEvents -= n;
        st.queuedBytes -= p.bytes;
      }
    }
  }

  /** Hands the batch to the store; without listeners the pending entry lets go of the events. */
  function write(p: Pending, notify: boolean): Promise<{ stored: number; duplicates: number }> {
    const events = p.events;
    if (!notify) p.events = [];
    return store.appendEvents(events);
  }

  function kick(): void {
    if (draining) return;
    draining = drain().finally(() => {
      draining = undefined;
      if (queue.length > 0) kick();
    });
  }

  return {
    get closed() {
      return closing;
    },
    submit(records: RawRecord[]): Promise<IngestOutcome> {
      if (closing) return Promise.reject(new GarrisonError('SHUTTING_DOWN', 'the pipeline is shutting down and accepts no new events'));
      if (st.queuedEvents > 0 && (st.queuedEvents + records.length > maxEvents || st.queuedBytes >= maxBytes)) {
        st.busy++;
        return Promise.reject(
          new GarrisonError('BUSY', `ingest queue is full (${st.queuedEvents} events, ${st.queuedBytes} bytes waiting)`, {
            details: { retryAfterSeconds: 1, queuedEvents: st.queuedEvents },
          }),
        );
      }
      st.received += records.length;
      const events: GarrisonEvent[] = [];
      const rejected: RejectedRecord[] = [];
      let bytes = 0;
      for (const rec of records) {
        const size = typeof rec.data === 'string' ? rec.data.length : 0;
        if (size > maxEventBytes) {
          reject(rejected, rec.origin, new GarrisonError('PAYLOAD_TOO_LARGE', `event of ${size} bytes exceeds the limit of ${maxEventBytes} bytes`, { location: { field: rec.origin } }));
          continue;
        }
        let r: ParseResult;
        try {
          r = parse(rec);
        } catch (e) {
          // A parser bug must not take the batch down: report it against this record only.
          r = { ok: false, error: toGarrisonError(e) };
        }
        if (r.ok) {
          events.push(r.event);
          bytes += r.event.raw.length;
        } else {
          reject(rejected, rec.origin, r.error);
        }
      }
      if (events.length === 0) return Promise.resolve({ stored: 0, duplicates: 0, rejected });
      st.queuedEvents += events.length;
      st.queuedBytes += bytes;
      return new Promise<IngestOutcome>((resolve, rej) => {
        queue.push({ events, bytes, rejected, resolve, reject: rej });
        kick();
      });
    },
    onStored(listener: StoredListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats(): PipelineStats {
      return { ...st, rejectedByCode: { ...st.rejectedByCode } };
    },
    async close(): Promise<void> {
      closing = true;
      while (draining) await draining;
    },
  };
}
