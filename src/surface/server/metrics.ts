/**
 * Prometheus metrics (prom-client) on a registry owned by the server instance (not the global
 * default registry, so several servers can live in one process, e.g. in tests).
 *
 *   garrison_events_received_total{source}        records handed to the pipeline
 *   garrison_events_stored_total{source}          newly committed events
 *   garrison_events_duplicate_total{source}       records whose id was already stored
 *   garrison_events_rejected_total{source,code}   records refused (parse, size, encoding ...)
 *   garrison_ingest_busy_total{source}            submits refused because the queue was full
 *   garrison_ingest_queue_events / _bytes         accepted, not yet committed
 *   garrison_store_write_seconds                  histogram of store commits
 *   garrison_http_request_duration_seconds{method,route,status}
 * plus prom-client's default process metrics (RSS, CPU, event-loop lag, GC).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { toGarrisonError } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import type { IngestOutcome, IngestSink } from '../../ingest/sink.js';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly received: Counter<'source'>;
  readonly stored: Counter<'source'>;
  readonly duplicates: Counter<'source'>;
  readonly rejected: Counter<'source' | 'code'>;
  readonly busy: Counter<'source'>;
  readonly storeWrite: Histogram;
  readonly http: Histogram<'method' | 'route' | 'status'>;
  private queue: () => { events: number; bytes: number } = () => ({ events: 0, bytes: 0 });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    this.received = new Counter({ name: 'garrison_events_received_total', help: 'Records handed to the ingest pipeline, by source.', labelNames: ['source'], registers: [r] });
    this.stored = new Counter({ name: 'garrison_events_stored_total', help: 'Events newly committed to the store, by source.', labelNames: ['source'], registers: [r] });
    this.duplicates = new Counter({ name: 'garrison_events_duplicate_total', help: 'Records whose event id was already stored, by source.', labelNames: ['source'], registers: [r] });
    this.rejected = new Counter({ name: 'garrison_events_rejected_total', help: 'Records refused, by source and error code.', labelNames: ['source', 'code'], registers: [r] });
    this.busy = new Counter({ name: 'garrison_ingest_busy_total', help: 'Submits refused because the ingest queue was full (503).', labelNames: ['source'], registers: [r] });
    const self = this;
    new Gauge({
      name: 'garrison_ingest_queue_events',
      help: 'Events accepted and not yet committed.',
      registers: [r],
      collect() {
        this.set(self.queue().events);
      },
    });
    new Gauge({
      name: 'garrison_ingest_queue_bytes',
      help: 'Bytes of raw text accepted and not yet committed.',
      registers: [r],
      collect() {
        this.set(self.queue().bytes);
      },
    });
    this.storeWrite = new Histogram({
      name: 'garrison_store_write_seconds',
      help: 'Duration of one store commit (one batch).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    this.http = new Histogram({
      name: 'garrison_http_request_duration_seconds',
      help: 'HTTP request latency by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [r],
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'garrison_' });
  }

  /** Where the queue gauges read from (the pipeline's stats). */
  setQueueProbe(probe: () => { events: number; bytes: number }): void {
    this.queue = probe;
  }

  /** Adds counters around a sink for one source name. */
  countingSink(sink: IngestSink, source: string): IngestSink {
    return {
      submit: async (records: RawRecord[]): Promise<IngestOutcome> => {
        this.received.inc({ source }, records.length);
        try {
          const out = await sink.submit(records);
          if (out.stored) this.stored.inc({ source }, out.stored);
          if (out.duplicates) this.duplicates.inc({ source }, out.duplicates);
          for (const r of out.rejected) this.rejected.inc({ source, code: r.error.code });
          return out;
        } catch (e) {
          const g = toGarrisonError(e);
          if (g.code === 'BUSY' || g.code === 'SHUTTING_DOWN') this.busy.inc({ source });
          else this.rejected.inc({ source, code: g.code }, records.length);
          throw e;
        }
      },
    };
  }

  /** Records rejected before they reached the pipeline (transport-level checks). */
  rejectedBeforeSubmit(source: string, code: string, n = 1): void {
    this.received.inc({ source }, n);
    this.rejected.inc({ source, code }, n);
  }
}
