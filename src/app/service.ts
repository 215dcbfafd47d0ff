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
 *   garrison_engine_active                    1 while this process runs the engine (role engine: holds the lease), else 0
 *
 * Per role (src/app/roles.ts, docs/deployment.md):
 *   all     the engine is attached to the ingest pipeline (direct calls, catch-up from the SQLite log);
 *   engine  a worker: the engine is fed by the bus (TOPICS.events, consumer group cluster.engineGroup),
 *           behind the engine lease when cluster.engineWorkers is single (one active, the rest standby);
 *           incident, verdict and action changes are published on the bus for the API nodes;
 *   ingest  no engine; the live relay passes incident, verdict and action changes from the bus to
 *           this node's consoles (cluster.liveFromBus).
 * In every role with an engine, incident, verdict and action changes go to the live hub
 * (publishChange) so that consoles of this process update at once.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { GarrisonError } from '../core/errors.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { Logger } from '../core/logger.js';
import { TOPICS, type IncidentChange } from '../core/stages.js';
import { publishingIncidentConsumer, publishingVerdictConsumer } from '../bus/bridge.js';
import type { Bus, BusMessage, Subscription } from '../bus/port.js';
import type { Store } from '../store/port.js';
import type { ActionDoc } from '../respond/types.js';
import type { ServerContext, ServerService, ServiceFactory } from '../surface/server/context.js';
import { publishChange } from '../surface/server/live.js';
import { createEngine, type Engine, type EngineHooks, type EngineOptions, type EngineStatus } from './engine.js';
import { consumeStoredEvents } from './event-feed.js';
import { localLease, postgresLease, type Lease } from './lease.js';
import { clusterBus, planRole } from './roles.js';

/** Adds the status' growth since the last scrape to a counter (counters only go up); starts over when the engine is replaced. */
function deltaCounter<L extends string>(c: Counter<L>, read: (s: EngineStatus) => [Partial<Record<L, string>>, number][], status: () => EngineStatus | undefined, generation: () => number): () => void {
  const last = new Map<string, number>();
  let gen = generation();
  return () => {
    const s = status();
    if (!s) return;
    if (generation() !== gen) {
      gen = generation();
      last.clear();
    }
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

type Extra = Pick<EngineOptions, 'context' | 'connectors'>;

// ------------------------------------------------------------------------------- live changes

/** The small payloads consoles get (ids and statuses; they re-read through the API). */
export function incidentPayload(change: IncidentChange): Record<string, unknown> {
  const i = change.incident;
  return { id: i.id, status: i.status, revision: i.revision, severity: i.severity, change: change.kind };
}
export function verdictPayload(incident: Incident, verdict: IncidentVerdict): Record<string, unknown> {
  return { id: incident.id, incidentId: incident.id, verdict: verdict.verdict, confidence: verdict.confidence };
}
export function actionPayload(doc: ActionDoc): Record<string, unknown> {
  return { id: doc.id, incidentId: doc.incidentId, status: doc.status };
}

/** Hooks that tell this process's consoles, and (worker) the bus, about incident, verdict and action changes. */
function changeHooks(logger: Logger, bus: Bus | undefined): Pick<EngineHooks, 'incident' | 'verdict' | 'action'> {
  let failures = 0;
  const failed = (what: string) => (e: unknown) => {
    // One line per 100 failures: a bus outage must not flood the log.
    if (failures++ % 100 === 0) logger.warn({ err: e, failures }, `engine: publishing ${what} changes on the bus failed (consoles of API nodes still poll the store)`);
  };
  const incidents = bus ? publishingIncidentConsumer(bus) : undefined;
  const verdicts = bus ? publishingVerdictConsumer(bus) : undefined;
  return {
    incident(change) {
      publishChange('incident', incidentPayload(change));
      incidents?.onIncident(change).catch(failed('incident'));
    },
    verdict(incident, verdict) {
      publishChange('investigation', verdictPayload(incident, verdict));
      verdicts?.onVerdict(incident, verdict).catch(failed('verdict'));
    },
    action(doc) {
      publishChange('action', actionPayload(doc));
      bus?.publish(TOPICS.actions, [doc], { key: () => String(doc.incidentId ?? doc.id).slice(0, 256) }).catch(failed('action'));
    },
  };
}

const str = (v: unknown, max = 512): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * Role ingest: relays incident, verdict and action changes that engine workers publish on the bus
 * to this node's live hub. Each node is its own consumer group (`live-<node>`), so every node sees
 * every change; changes older than a minute (a node that was down) are skipped: consoles re-read
 * on reconnect anyway. Payloads from the bus are reduced to ids and statuses (hostile input).
 */
export function liveRelayService(ctx: ServerContext): ServerService {
  const plan = planRole(ctx.config);
  const log = ctx.logger.child({ component: 'live-relay' });
  const subs: Subscription[] = [];
  const group = `live-${plan.node}`.slice(0, 64);
  const fresh = (m: BusMessage) => Date.now() - m.publishedAt < 60_000;
  const onError = (e: GarrisonError, c: { topic: string }) => log.warn({ code: e.code, topic: c.topic }, `live relay: ${e.message}`);
  return {
    name: 'live-relay',
    phase: 'process',
    async start(c) {
      const bus = clusterBus(c);
      if (!bus) throw new Error('live relay: no bus');
      subs.push(
        await bus.subscribe(TOPICS.incidents, group, async (batch) => {
          for (const m of batch) {
            if (!fresh(m)) continue;
            const d = obj(m.data);
            const i = obj(d.incident);
            const id = str(i.id);
            if (id) publishChange('incident', { id, status: str(i.status, 64), revision: typeof i.revision === 'number' ? i.revision : undefined, severity: str(i.severity, 32), change: str(d.kind, 32), source: 'bus' });
          }
        }, { batchSize: 100, maxWaitMs: 0, onError }),
        await bus.subscribe(TOPICS.verdicts, group, async (batch) => {
          for (const m of batch) {
            if (!fresh(m)) continue;
            const d = obj(m.data);
            const id = str(obj(d.incident).id);
            if (id) publishChange('investigation', { id, incidentId: id, verdict: str(obj(d.verdict).verdict, 32), source: 'bus' });
          }
        }, { batchSize: 100, maxWaitMs: 0, onError }),
        await bus.subscribe(TOPICS.actions, group, async (batch) => {
          for (const m of batch) {
            if (!fresh(m)) continue;
            const d = obj(m.data);
            const id = str(d.id);
            if (id) publishChange('action', { id, incidentId: str(d.incidentId), status: str(d.status, 64), source: 'bus' });
          }
        }, { batchSize: 100, maxWaitMs: 0, onError }),
      );
      log.info({ group }, 'relaying incident, verdict and action changes from the bus to the live feed');
    },
    async stop() {
      for (const s of subs.splice(0)) await s.stop().catch(() => undefined);
    },
  };
}

// ------------------------------------------------------------------------------------ engine

function makeEngineService(ctx: ServerContext, extra: Extra): ServerService | undefined {
  const plan = planRole(ctx.config);
  if (plan.role === 'ingest') return plan.liveFromBus ? liveRelayService(ctx) : undefined;
  if (!ctx.config.engine.enabled) return undefined;
  let engine: Engine | undefined;
  let generation = 0;
  let active = false;
  const status = () => engine?.status();
  const gen = () => generation;
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
    deltaCounter(signals, (s) => Object.entries(s.signals.byKind).map(([kind, n]) => [{ kind }, n]), status, gen),
    deltaCounter(events, (s) => [[{}, s.events]], status, gen),
    deltaCounter(readBack, (s) => [[{}, s.eventsReadBack]], status, gen),
    deltaCounter(errors, (s) => Object.entries(s.errors).map(([stage, n]) => [{ stage }, n ?? 0]), status, gen),
    deltaCounter(incidents, (s) => [[{ kind: 'created' }, s.incidents.created], [{ kind: 'updated' }, s.incidents.updated]], status, gen),
    deltaCounter(verdicts, (s) => (['malicious', 'suspicious', 'benign'] as const).map((v) => [{ verdict: v }, s.verdicts[v]]), status, gen),
  ];
  new Gauge({
    name: 'garrison_engine_queue_events',
    help: 'Events held in the queue between the store and detection.',
    registers: [r],
    collect() {
      this.set(status()?.queuedEvents ?? 0);
    },
  });
  new Gauge({
    name: 'garrison_engine_active',
    help: '1 while this process runs the engine (role engine: holds the engine lease), else 0 (standby).',
    registers: [r],
    collect() {
      this.set(active ? 1 : 0);
    },
  });
  const dupes = new Counter({ name: 'garrison_engine_events_duplicate_total', help: 'Events from the bus dropped because this worker processed them recently (redeliveries, re-sent batches).', registers: [r] });

  const build = (c: ServerContext, bus: Bus | undefined): Engine => {
    generation++;
    const e = createEngine({
      store: c.store,
      config: c.config.engine,
      tenant: c.config.tenant,
      dataDir: c.config.dataDir,
      logger: c.logger,
      feed: bus ? 'bus' : 'pipeline',
      hooks: { stageTime: (stage, s) => stageHist.observe({ stage }, s), ...changeHooks(c.logger.child({ component: 'engine' }), bus) },
      ...extra,
    });
    RUNNING.set(c.store, e);
    return e;
  };

  if (plan.engine === 'bus')
    return workerService(
      ctx,
      plan.node,
      build,
      (e, a) => {
        engine = e;
        active = a;
        if (e && a) RUNNING.set(ctx.store, e);
        else RUNNING.delete(ctx.store);
      },
      () => engine,
      dupes,
    );

  let detach: (() => void) | undefined;
  const service: ServerService & { engine: () => Engine | undefined } = {
    name: 'engine',
    phase: 'process',
    engine: () => engine,
    async start(c) {
      engine = build(c, undefined);
      // Attached first: batches committed while it starts are covered by its catch-up, later ones by onStored.
      detach = engine.attach(c.pipeline);
      try {
        await engine.start();
      } catch (e) {
        detach();
        throw e;
      }
      active = true;
    },
    async stop() {
      detach?.();
      await engine?.stop({ drainMs: Math.min(5_000, Math.floor(ctx.config.server.shutdownTimeoutMs / 3)) });
      active = false;
      RUNNING.delete(ctx.store);
    },
    ready: () => engine?.ready() ?? false,
  };
  return service;
}

/** The engine running in this process over a store, for read-only status (detectors, operations page). */
const RUNNING = new WeakMap<Store, Engine>();
export function liveEngine(store: Store): Engine | undefined {
  return RUNNING.get(store);
}

export type WorkerState = 'starting' | 'standby' | 'active' | 'stopped';

/**
 * Role engine: the engine fed by the bus. With `cluster.engineWorkers: single` it runs only while
 * this process holds the engine lease (src/app/lease.ts); until then the worker is a standby that
 * tries every `cluster.standbyPollMs`. With `shared` it consumes at once beside the other workers.
 */
function workerService(
  ctx: ServerContext,
  node: string,
  build: (c: ServerContext, bus: Bus) => Engine,
  setEngine: (e: Engine | undefined, active: boolean) => void,
  current: () => Engine | undefined,
  dupes: Counter,
): ServerService & { engine: () => Engine | undefined; state: () => WorkerState } {
  const cfg = ctx.config.cluster;
  const log = ctx.logger.child({ component: 'engine-worker', node });
  let state: WorkerState = 'starting';
  let sub: Subscription | undefined;
  let lease: Lease | undefined;
  let stopping = false;
  let standby: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let switching: Promise<void> = Promise.resolve();
  let bus: Bus;

  const activate = async (): Promise<void> => {
    const engine = build(ctx, bus);
    await engine.start();
    setEngine(engine, true);
    try {
      sub = await consumeStoredEvents(bus, cfg.engineGroup, ctx.store, (events) => engine.process(events), {
        batchMessages: cfg.engineBatchMessages,
        startAt: 'all',
        maxWaitMs: 50,
        maxAttempts: cfg.engineMaxAttempts,
        dedupIds: cfg.engineDedupIds,
        onDuplicates: (n) => dupes.inc(n),
        onError: (e, c) => log.warn({ code: e.code, topic: c.topic, group: c.group, deadLetters: c.deadLetters?.length }, `engine worker: ${e.message}`),
      });
    } catch (e) {
      await engine.stop({ drainMs: 0 }).catch(() => undefined);
      setEngine(engine, false);
      throw e;
    }
    state = 'active';
    log.info({ group: cfg.engineGroup, mode: cfg.engineWorkers }, 'engine worker active: consuming stored events from the bus');
  };

  const deactivate = async (): Promise<void> => {
    const s = sub;
    sub = undefined;
    // Stop taking batches first (the running one finishes and is acknowledged), then the engine.
    await s?.stop().catch((e) => log.warn({ err: e }, 'engine worker: stopping the subscription failed'));
    const e = current();
    if (e) await e.stop({ drainMs: 0 }).catch((err) => log.warn({ err }, 'engine worker: stopping the engine failed'));
    setEngine(e, false);
  };

  const standbyLoop = async (): Promise<void> => {
    state = 'standby';
    log.info({ pollMs: cfg.standbyPollMs }, 'engine worker on standby: another worker holds the engine lease');
    while (!stopping) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, cfg.standbyPollMs).unref?.();
      });
      wake = undefined;
      if (stopping) break;
      try {
        if (await lease!.tryAcquire()) {
          if (stopping) break;
          log.info('engine lease taken');
          onLeaseLost();
          await activate();
          return;
        }
      } catch (e) {
        log.warn({ err: e }, 'engine worker: trying the engine lease failed; retrying');
        await lease!.release().catch(() => undefined);
      }
    }
  };

  const onLeaseLost = () =>
    lease?.onLost(() => {
      // Stop at once (another worker may already be taking over), then wait for the lease again.
      switching = switching.then(async () => {
        await deactivate();
        if (!stopping) standby = standbyLoop();
      });
    });

  return {
    name: 'engine',
    phase: 'process',
    engine: current,
    state: () => state,
    async start(c) {
      const b = clusterBus(c);
      if (!b) throw new Error('engine worker: no bus (cluster.role engine needs bus.kind nats)');
      bus = b;
      if (cfg.engineWorkers === 'single') {
        const name = `${c.config.store.kind === 'postgres' ? c.config.store.schema : 'local'}/${cfg.engineGroup}`;
        lease = c.config.store.kind === 'postgres' && !isInjected(c) ? postgresLease({ url: c.config.store.url, name, pollMs: cfg.standbyPollMs, logger: log }) : localLease(name);
        if (await lease.tryAcquire()) {
          onLeaseLost();
          await activate();
        } else standby = standbyLoop();
      } else {
        await activate();
      }
    },
    async stop() {
      stopping = true;
      wake?.();
      await standby?.catch(() => undefined);
      await switching;
      await deactivate();
      await lease?.release();
      state = 'stopped';
    },
    // A standby is ready: it is healthy and takes over by itself.
    ready: () => state === 'standby' || (state === 'active' && (current()?.ready() ?? false)),
  };
}

/** A store handed in by the caller (tests) rather than opened from store.url: lease in process. */
const injected = new WeakSet<object>();
export function markInjectedStore(ctx: object): void {
  injected.add(ctx);
}
function isInjected(ctx: object): boolean {
  return injected.has(ctx);
}
