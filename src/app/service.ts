/**
 * Runs the engine inside `garrison serve`: a process-phase service (stopped after the ingest
 * pipeline is flushed, so it sees the last batches), ready for /readyz once its saved state is
 * loaded, with Prometheus metrics on the server's registry:
 *
 *   garrison_signals_total{kind}              signals raised, by detector kind
 *   garrison_engine_events_total              events processed by detection
 *   garrison_engine_events_read_back_total    events read back from the store (catch-up / overflow)
 *   garrison_engine_errors_total{stage}       stage failures (logged; processing goes on)
 *   garrison_engine_incidents_total{kind}     incident changes seen between correlation and investigation
 *   garrison_engine_verdicts_total{verdict}   verdicts seen between investigation and response
 *   garrison_engine_backlog_events            committed events not yet processed
 *   garrison_engine_queue_events              events held in the store → detection queue
 *   garrison_engine_stage_seconds{stage}      histogram of per-batch stage latency
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServerContext, ServerService, ServiceFactory } from '../surface/server/context.js';
import { createEngine, type Engine, type EngineOptions, type EngineStatus } from './engine.js';

/** Adds the status' growth since the last scrape to a counter (counters only go up). */
function deltaCounter<L extends string>(c: Counter<L>, read: (s: EngineStatus) => [Partial<Record<L, string>>, number][], status: () => EngineStatus | undefined): () => void {
  const last = new Map<string, number>();
  return () => {
    const s = status();
    if (!s) return;
    for (const [labels, v] of read(s)) {
      const k = JSON.stringify(labels);
      const d = v - (last.get(k) ?? 0);
      if (d > 0) c.inc(labels as never, d);
      last.set(k, v);
    }
  };
}

/** The engine service with extra engine options (the demo passes the simulated organization as context). */
export function engineServiceWith(extra: Pick<EngineOptions, 'context' | 'connectors'> = {}): ServiceFactory {
  return (ctx) => makeEngineService(ctx, extra);
}

export const engineService: ServiceFactory = (ctx) => makeEngineService(ctx, {});

function makeEngineService(ctx: ServerContext, extra: Pick<EngineOptions, 'context' | 'connectors'>): ServerService | undefined {
  if (!ctx.config.engine.enabled) return undefined;
  let engine: Engine | undefined;
  let detach: (() => void) | undefined;
  const status = () => engine?.status();
  const r = ctx.metrics.registry;
  // Registered first: its collect() also brings the counters below up to date before they are read.
  new Gauge({
    name: 'garrison_engine_backlog_events',
    help: 'Committed events not yet processed by detection.',
    registers: [r],
    collect() {
      for (const u of updates) u();
      this.set(status()?.backlog ?? 0);
    },
  });
  const stageHist = new Histogram<'stage'>({
    name: 'garrison_engine_stage_seconds',
    help: 'Time one batch spends in an engine stage (sigma, baselines, intel, store, correlation, investigation, response, read, checkpoint).',
    labelNames: ['stage'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [r],
  });
  const signals = new Counter<'kind'>({ name: 'garrison_signals_total', help: 'Signals raised, by detector kind.', labelNames: ['kind'], registers: [r] });
  const events = new Counter({ name: 'garrison_engine_events_total', help: 'Events processed by detection.', registers: [r] });
  const readBack = new Counter({ name: 'garrison_engine_events_read_back_total', help: 'Events read back from the store (catch-up after a restart, or batches beyond the queue bound).', registers: [r] });
  const errors = new Counter<'stage'>({ name: 'garrison_engine_errors_total', help: 'Engine stage failures (logged; processing goes on).', labelNames: ['stage'], registers: [r] });
  const incidents = new Counter<'kind'>({ name: 'garrison_engine_incidents_total', help: 'Incident changes passed from correlation to investigation.', labelNames: ['kind'], registers: [r] });
  const verdicts = new Counter<'verdict'>({ name: 'garrison_engine_verdicts_total', help: 'Verdicts passed from investigation to response.', labelNames: ['verdict'], registers: [r] });
  const updates = [
    deltaCounter(signals, (s) => Object.entries(s.signals.byKind).map(([kind, n]) => [{ kind }, n]), status),
    deltaCounter(events, (s) => [[{}, s.events]], status),
    deltaCounter(readBack, (s) => [[{}, s.eventsReadBack]], status),
    deltaCounter(errors, (s) => Object.entries(s.errors).map(([stage, n]) => [{ stage }, n ?? 0]), status),
    deltaCounter(incidents, (s) => [[{ kind: 'created' }, s.incidents.created], [{ kind: 'updated' }, s.incidents.updated]], status),
    deltaCounter(verdicts, (s) => (['malicious', 'suspicious', 'benign'] as const).map((v) => [{ verdict: v }, s.verdicts[v]]), status),
  ];
  new Gauge({
    name: 'garrison_engine_queue_events',
    help: 'Events held in the queue between the store and detection.',
    registers: [r],
    collect() {
      this.set(status()?.queuedEvents ?? 0);
    },
  });

  const service: ServerService & { engine: () => Engine | undefined } = {
    name: 'engine',
    phase: 'process',
    engine: () => engine,
    async start(c) {
      engine = createEngine({
        store: c.store,
        config: c.config.engine,
        tenant: c.config.tenant,
        dataDir: c.config.dataDir,
        logger: c.logger,
        hooks: { stageTime: (stage, s) => stageHist.observe({ stage }, s) },
        ...extra,
      });
      // Attached first: batches committed while it starts are covered by its catch-up, later ones by onStored.
      detach = engine.attach(c.pipeline);
      try {
        await engine.start();
      } catch (e) {
        detach();
        throw e;
      }
    },
    async stop() {
      detach?.();
      await engine?.stop({ drainMs: Math.min(5_000, Math.floor(ctx.config.server.shutdownTimeoutMs / 3)) });
    },
    ready: () => engine?.ready() ?? false,
  };
  return service;
}
