/**
 * The engine: Garrison's composition root. It chains the stages over their hand-off interfaces
 * (src/core/stages.ts):
 *
 *   stored events ──▶ detection (Sigma + Sigma correlation, baselines, intel) ──▶ store.appendSignals
 *                                                                        │
 *                       correlation (incidents) ◀────────────────────────┘
 *                              └─▶ investigation (verdicts) ─▶ response (actions)
 *
 * Feeding: `attach(pipeline)` subscribes to committed batches. Each batch is queued with its events
 * while the queue is under `maxQueuedEvents`; beyond that only the store's head position moves and
 * the engine reads the events back from the store, in arrival order, when it gets there. The last
 * processed position is saved in store state (with the baseline state) every `checkpointMs` and at
 * stop, so after a restart the engine catches up from where it was: no event is skipped, and one
 * processed again after a crash gives the same signal ids (they are deterministic), so no
 * duplicate signals.
 *
 * Failures: a stage that throws is logged and counted, and the batch goes on to the next stage;
 * the engine never fails ingest (it runs after the commit, outside the acknowledgement path).
 *
 * Bus feed (`feed: 'bus'`, the `engine` role of a scaled-out deployment, docs/deployment.md): the
 * engine does not read the store's event log nor listen to a pipeline; a bus consumer hands it
 * batches with `process(events)`, which resolves once every stage has run on the batch (the
 * consumer acknowledges then). The bus's durable consumer is the catch-up; the position is not used.
 */
import type { GarrisonEvent } from '../core/event.js';
import { GarrisonError, toGarrisonError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Signal, SignalKind } from '../core/signal.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { EventConsumer, IncidentChange, IncidentConsumer, SignalConsumer, VerdictConsumer } from '../core/stages.js';
import { BaselineStage } from '../baseline/stage.js';
import { syncAnalystFeedback } from '../baseline/feedback.js';
import { loadFromStore, saveToStore } from '../baseline/persist.js';
import { SigmaStage } from '../detect/engine.js';
import type { Pipeline } from '../ingest/pipeline.js';
import type { Store } from '../store/port.js';
import { EngineConfigSchema, type EngineConfig, type EngineConfigInput } from './config.js';
import { eventLogFor, type EventLog } from './event-log.js';
import { buildLaterStages, type LaterStages } from './stages.js';
import type { ContextIndex } from '../correlate/index.js';
import type { ConnectorSet } from '../respond/index.js';
import type { ActionDoc } from '../respond/types.js';

/** Store state key of the engine's processed position. */
export const POSITION_KEY = 'engine/position/v1';
/** Last analyst-feedback update time already applied to the baselines. */
export const FEEDBACK_CURSOR_KEY = 'engine/feedback-cursor/v1';

export type StageName = 'sigma' | 'baselines' | 'intel' | 'store' | 'correlation' | 'investigation' | 'response' | 'checkpoint' | 'read';

export interface EngineHooks {
  /** Time spent in a stage for one batch (metrics). */
  stageTime?(stage: StageName, seconds: number): void;
  /** Every signal batch after it is stored (eval collects them). */
  signals?(signals: readonly Signal[]): void;
  incident?(change: IncidentChange): void;
  verdict?(incident: Incident, verdict: IncidentVerdict): void;
  /** Every change of a response action (the responder's onAction). */
  action?(doc: ActionDoc): void;
}

export interface EngineOptions {
  store: Store;
  /** The `engine` configuration section (validated here when it is an input object). */
  config?: EngineConfigInput;
  tenant?: string;
  logger?: Logger;
  /**
   * Clock for `createdAt` of signals and for checkpoint pacing. Default Date.now. Eval passes the
   * simulated clock (newest event time seen) so that runs are byte-for-byte reproducible.
   */
  now?: () => number;
  hooks?: EngineHooks;
  /**
   * Stages to use instead of building them from src/correlate, src/investigate, src/respond and
   * src/intel (tests, embedding). When given, only these later stages run.
   */
  stages?: { intel?: EventConsumer; correlator?: (next: IncidentConsumer) => SignalConsumer; investigator?: (next: VerdictConsumer) => IncidentConsumer; responder?: VerdictConsumer };
  /** Asset inventory and identity directory for correlation, investigation and response (eval: the simulated organization). */
  context?: ContextIndex;
  /** Containment connectors (eval: an in-memory environment); else policy and connectors come from the data directory (src/respond/service.ts), dry run without connectors. */
  connectors?: ConnectorSet;
  /** Data directory, where the respond area looks for policy.yaml and connectors.yaml. */
  dataDir?: string;
  /**
   * Where batches come from. 'pipeline' (default): attach()/onStored() and the store's event log
   * for catch-up. 'bus': only process(events), called by a bus consumer (no event log, no queue).
   */
  feed?: 'pipeline' | 'bus';
}

export interface EngineStatus {
  /** 'log': reads back from the store by sequence when behind; 'listener': only the pipeline's batches (no catch-up: non-SQLite store); 'bus': batches handed over by a bus consumer (process()). */
  mode: 'log' | 'listener' | 'bus';
  started: boolean;
  stopping: boolean;
  /** Last processed store position (arrival sequence). */
  position: number;
  /** Newest committed position known. */
  head: number;
  /** Committed events not yet processed (head − position; includes duplicates' gaps: an upper bound). */
  backlog: number;
  /** Events held in the queue between the store and detection. */
  queuedEvents: number;
  events: number;
  batches: number;
  /** Events read back from the store (catch-up, or a batch that overflowed the queue). */
  eventsReadBack: number;
  /** Events lost in 'listener' mode because the queue was full (always 0 in 'log' mode). */
  eventsDropped: number;
  signals: { total: number; byKind: Record<SignalKind, number> };
  incidents: { created: number; updated: number; changes: number };
  verdicts: { total: number; malicious: number; suspicious: number; benign: number };
  errors: Partial<Record<StageName, number>>;
  lastError?: { stage: StageName; code: string; message: string; at: number };
  /** Seconds spent per stage since start. */
  stageSeconds: Partial<Record<StageName, number>>;
  checkpoints: number;
  /** Newest event time processed (ms). */
  watermark: number;
  stages: string[];
  sigma?: { rules: number; correlations: number; problems: number };
  baselines?: { models: string[]; restored: boolean };
}

export interface Engine {
  readonly config: EngineConfig;
  /** Loads the saved position and baseline state, builds the later stages, starts catching up. */
  start(): Promise<void>;
  /** Subscribes to the pipeline's committed batches; returns the unsubscribe function. */
  attach(pipeline: Pipeline): () => void;
  /** Hands one committed batch to the engine (what attach() does for each batch). */
  onStored(events: GarrisonEvent[]): void;
  /**
   * Runs every stage on one batch and resolves when they are done (feed 'bus'). Batches are
   * processed one at a time in call order. Rejects (so that the bus redelivers the batch) when the
   * engine is not running or when the batch's signals could not be stored.
   */
  process(events: GarrisonEvent[]): Promise<void>;
  /** Resolves once every event committed so far is processed. */
  drain(): Promise<void>;
  /**
   * End of a finite input (eval, replay): closes the open Sigma correlation windows and baseline
   * buckets and hands their signals on. Not used in the live server.
   */
  finish(): Promise<void>;
  /** Saves position and baseline state now. */
  checkpoint(): Promise<void>;
  /** Stops at a batch boundary (after at most `drainMs` of catching up) and saves the position. */
  stop(opts?: { drainMs?: number }): Promise<void>;
  status(): EngineStatus;
  ready(): boolean;
  readonly sigma?: SigmaStage;
  readonly baselines?: BaselineStage;
}

interface Chunk {
  /** Position before the batch, and of its last event. */
  after: number;
  to: number;
  events: GarrisonEvent[];
}

const ZERO_KINDS = (): Record<SignalKind, number> => ({ sigma: 0, sigma_correlation: 0, anomaly: 0, intel: 0 });

export function createEngine(opts: EngineOptions): Engine {
  const config = EngineConfigSchema.parse(opts.config ?? {});
  const store = opts.store;
  const logger = (opts.logger ?? silentLogger()).child({ component: 'engine' });
  const tenant = opts.tenant ?? 'default';
  const hooks = opts.hooks ?? {};
  const clock = opts.now ?? Date.now;

  const sigma = config.sigma.enabled
    ? new SigmaStage({ builtin: config.sigma.builtin, rulePaths: config.sigma.rulePaths, config: config.sigma.rules, correlation: config.sigma.correlation, tenant })
    : undefined;
  if (sigma) for (const p of sigma.problems) logger.warn({ code: p.code, location: p.location }, `sigma: ${p.message}`);
  const baselines = config.baselines.enabled ? new BaselineStage(config.baselines.config) : undefined;

  let log: EventLog | undefined;
  let later: LaterStages = { names: [], close: async () => undefined };
  let intel: EventConsumer | undefined;
  let correlator: SignalConsumer | undefined;
  let correlatorEvents: EventConsumer | undefined;
  let pendingIntel: Signal[] = [];

  const st: EngineStatus = {
    mode: 'listener',
    started: false,
    stopping: false,
    position: 0,
    head: 0,
    backlog: 0,
    queuedEvents: 0,
    events: 0,
    batches: 0,
    eventsReadBack: 0,
    eventsDropped: 0,
    signals: { total: 0, byKind: ZERO_KINDS() },
    incidents: { created: 0, updated: 0, changes: 0 },
    verdicts: { total: 0, malicious: 0, suspicious: 0, benign: 0 },
    errors: {},
    stageSeconds: {},
    checkpoints: 0,
    watermark: 0,
    stages: [],
  };
  let baselineRestored = false;
  const queue: Chunk[] = [];
  let known = 0;
  let running: Promise<void> | undefined;
  let stopRequested = false;
  let lastCheckpoint = 0;
  let dirty = false;
  const busFeed = opts.feed === 'bus';
  /** feed 'bus': the batches handed to process(), one after the other. */
  let chain: Promise<void> = Promise.resolve();

  function fail(stage: StageName, e: unknown): void {
    const g = toGarrisonError(e);
    st.errors[stage] = (st.errors[stage] ?? 0) + 1;
    st.lastError = { stage, code: g.code, message: g.message.slice(0, 500), at: Date.now() };
    logger.error({ err: g, stage }, `engine: stage ${stage} failed; going on`);
  }

  async function timed<T>(stage: StageName, f: () => Promise<T> | T): Promise<T | undefined> {
    const t0 = performance.now();
    try {
      return await f();
    } catch (e) {
      fail(stage, e);
      return undefined;
    } finally {
      const s = (performance.now() - t0) / 1000;
      st.stageSeconds[stage] = (st.stageSeconds[stage] ?? 0) + s;
      hooks.stageTime?.(stage, s);
    }
  }

  // What flows between the later stages passes through these counting wrappers.
  const incidentTap = (next: IncidentConsumer | undefined): IncidentConsumer => ({
    async onIncident(change) {
      st.incidents.changes++;
      if (change.kind === 'created') st.incidents.created++;
      else st.incidents.updated++;
      hooks.incident?.(change);
      if (next) await timed('investigation', () => next.onIncident(change));
    },
  });
  const verdictTap = (next: VerdictConsumer | undefined): VerdictConsumer => ({
    async onVerdict(incident, verdict) {
      st.verdicts.total++;
      if (verdict.verdict in st.verdicts) st.verdicts[verdict.verdict]++;
      hooks.verdict?.(incident, verdict);
      if (next) await timed('response', () => next.onVerdict(incident, verdict));
    },
  });

  /** Signals of one batch: stored, counted, handed to correlation. */
  async function emit(signals: Signal[]): Promise<void> {
    if (pendingIntel.length) {
      signals = signals.concat(pendingIntel);
      pendingIntel = [];
    }
    if (signals.length === 0) return;
    if (opts.now) {
      const at = clock();
      for (const s of signals) s.createdAt = at;
    }
    await timed('store', () => store.appendSignals(signals));
    st.signals.total += signals.length;
    for (const s of signals) st.signals.byKind[s.kind] = (st.signals.byKind[s.kind] ?? 0) + 1;
    hooks.signals?.(signals);
    if (correlator) {
      const c = correlator;
      await timed('correlation', () => c.onSignals(signals));
    }
  }

  async function processBatch(events: GarrisonEvent[]): Promise<void> {
    if (events.length === 0) return;
    let maxTime = st.watermark;
    for (const e of events) if (e.time > maxTime) maxTime = e.time;
    st.watermark = maxTime;
    const signals: Signal[] = [];
    if (sigma) {
      const s = sigma;
      const out = await timed('sigma', () => {
        const r = s.process(events);
        // Close correlation windows that can no longer change, so quiet groups still report. Event
        // times are attacker-written: one far in the future must not close every window, so the
        // flush point never passes the clock (+5 min of skew).
        const until = Math.min(maxTime, clock() + 300_000) - config.correlationFlushLagMs;
        if (Number.isFinite(until)) r.push(...s.flush(until));
        return r;
      });
      if (out) signals.push(...out);
    }
    if (baselines) {
      const b = baselines;
      const out = await timed('baselines', () => b.observe(events));
      if (out) signals.push(...out);
      if (b.lastError) {
        fail('baselines', b.lastError);
        b.lastError = undefined;
      }
    }
    if (intel) {
      const i = intel;
      await timed('intel', () => i.onEvents(events));
    }
    if (correlatorEvents) {
      // The identity graph learns from the events before their signals are correlated.
      const c = correlatorEvents;
      await timed('correlation', () => c.onEvents(events));
    }
    await emit(signals);
    st.events += events.length;
    st.batches++;
    dirty = true;
  }

  function updateBacklog(): void {
    st.head = known;
    st.backlog = Math.max(0, known - st.position);
    st.queuedEvents = queue.reduce((n, c) => n + c.events.length, 0);
  }

  async function loop(): Promise<void> {
    const size = config.batchSize;
    while (!stopRequested) {
      if (st.mode === 'listener') {
        const c = queue.shift();
        if (!c) break;
        updateBacklog();
        for (let i = 0; i < c.events.length; i += size) await processBatch(c.events.slice(i, i + size));
        st.position = c.to;
      } else {
        if (st.position >= known) break;
        while (queue.length && queue[0].to <= st.position) queue.shift();
        const c = queue[0];
        if (c && c.after === st.position) {
          queue.shift();
          updateBacklog();
          for (let i = 0; i < c.events.length; i += size) await processBatch(c.events.slice(i, i + size));
          st.position = c.to;
        } else {
          // Behind the queue (catch-up, or batches that did not fit): read from the store.
          const until = c && c.after > st.position ? c.after : known;
          const t0 = performance.now();
          let page;
          try {
            page = await log!.read(st.position, until, size);
          } catch (e) {
            fail('read', e);
            await new Promise((r) => setTimeout(r, 1000).unref?.());
            continue;
          } finally {
            const s = (performance.now() - t0) / 1000;
            st.stageSeconds.read = (st.stageSeconds.read ?? 0) + s;
            hooks.stageTime?.('read', s);
          }
          st.eventsReadBack += page.events.length;
          await processBatch(page.events);
          st.position = page.last;
          dirty = true;
        }
      }
      updateBacklog();
      if (Date.now() - lastCheckpoint >= config.checkpointMs) await checkpoint();
      // Let ingest and HTTP run between batches.
      await new Promise<void>((r) => setImmediate(r));
    }
    updateBacklog();
  }

  function kick(): void {
    if (running || !st.started) return;
    running = loop()
      .catch((e) => fail('read', e))
      .finally(() => {
        running = undefined;
        const more = st.mode === 'listener' ? queue.length > 0 : st.position < known;
        if (more && !stopRequested) kick();
      });
  }

  /** Analysts' verdicts reach the baselines (benign incidents lower their anomaly patterns' scores). */
  async function syncFeedback(): Promise<boolean> {
    if (!baselines) return false;
    try {
      const saved = feedbackCursor ?? Number((await store.getState(FEEDBACK_CURSOR_KEY)) ?? 0);
      const r = await syncAnalystFeedback(store, baselines, { since: saved });
      const changed = r.marked.length > 0 || r.unmarked.length > 0;
      // updatedSince is inclusive: the next read starts 1 ms later.
      if (r.read > 0) {
        feedbackCursor = r.cursor + 1;
        await store.setState(FEEDBACK_CURSOR_KEY, String(feedbackCursor));
      } else feedbackCursor = saved;
      return changed;
    } catch (e) {
      fail('baselines', e);
      return false;
    }
  }

  let feedbackCursor: number | undefined;

  async function checkpoint(): Promise<void> {
    lastCheckpoint = Date.now();
    if (await syncFeedback()) dirty = true;
    if (!dirty) return;
    dirty = false;
    await timed('checkpoint', async () => {
      // Baselines first, then the position: a crash in between replays a few events into the
      // baselines rather than skipping any.
      if (baselines) await saveToStore(store, baselines);
      await store.setState(POSITION_KEY, JSON.stringify({ position: st.position, watermark: st.watermark, at: Date.now() }));
      st.checkpoints++;
    });
  }

  const engine: Engine = {
    config,
    sigma,
    baselines,
    async start() {
      if (st.started) return;
      await store.init();
      log = busFeed ? undefined : eventLogFor(store);
      st.mode = busFeed ? 'bus' : log ? 'log' : 'listener';
      if (baselines && config.baselines.restore) {
        try {
          baselineRestored = await loadFromStore(store, baselines);
        } catch (e) {
          fail('baselines', e);
        }
      }
      const saved = await store.getState(POSITION_KEY);
      if (saved !== undefined) {
        try {
          const p = JSON.parse(saved) as { position?: unknown; watermark?: unknown };
          if (typeof p.position === 'number' && Number.isSafeInteger(p.position) && p.position >= 0) st.position = p.position;
          if (typeof p.watermark === 'number' && Number.isFinite(p.watermark)) st.watermark = p.watermark;
        } catch (e) {
          fail('checkpoint', e);
        }
      } else if (log && config.startFrom === 'end') {
        st.position = log.head();
      }
      if (opts.stages) {
        intel = opts.stages.intel;
        const responder = verdictTap(opts.stages.responder);
        const investigator = incidentTap(opts.stages.investigator?.(responder));
        correlator = opts.stages.correlator?.(investigator);
        st.stages = ['sigma', 'baselines'].filter((n) => (n === 'sigma' ? !!sigma : !!baselines));
        if (intel) st.stages.push('intel');
        if (correlator) st.stages.push('correlation');
        if (opts.stages.investigator) st.stages.push('investigation');
        if (opts.stages.responder) st.stages.push('response');
      } else {
        later = await buildLaterStages({
          store,
          config,
          logger,
          tenant,
          now: clock,
          signals: { onSignals: async (s) => void pendingIntel.push(...s) },
          incidents: incidentTap,
          verdicts: verdictTap,
          actions: hooks.action,
          context: opts.context,
          connectors: opts.connectors,
          dataDir: opts.dataDir,
        });
        intel = later.intel;
        correlator = later.correlator;
        correlatorEvents = later.correlatorEvents;
        st.stages = [...(sigma ? ['sigma'] : []), ...(baselines ? ['baselines'] : []), ...later.names];
      }
      st.sigma = sigma ? { rules: sigma.matcher.rules.length, correlations: sigma.loaded.correlations.length, problems: sigma.problems.length } : undefined;
      st.baselines = baselines ? { models: baselines.enabledModels(), restored: baselineRestored } : undefined;
      lastCheckpoint = Date.now();
      // Batches committed before this point are caught up from the store (no await in between).
      known = log ? Math.max(log.head(), st.position) : st.position;
      st.started = true;
      updateBacklog();
      logger.info({ mode: st.mode, position: st.position, head: known, stages: st.stages, rules: st.sigma?.rules }, 'engine started');
      kick();
    },
    attach(pipeline) {
      return pipeline.onStored((events) => engine.onStored(events));
    },
    process(events) {
      if (!busFeed) return Promise.reject(new GarrisonError('BAD_REQUEST', 'engine.process() needs feed: bus (use attach/onStored)'));
      const run = chain.then(async () => {
        if (!st.started || stopRequested) throw new GarrisonError('SHUTTING_DOWN', 'the engine is not running: batch not processed');
        const size = config.batchSize;
        const storeErrors = st.errors.store ?? 0;
        known += events.length;
        updateBacklog();
        for (let i = 0; i < events.length; i += size) await processBatch(events.slice(i, i + size));
        st.position += events.length;
        updateBacklog();
        if (Date.now() - lastCheckpoint >= config.checkpointMs) await checkpoint();
        // Signals not stored: fail the batch so that the bus redelivers it (ids are deterministic).
        if ((st.errors.store ?? 0) > storeErrors) throw new GarrisonError('STORE_IO', `signals of a batch of ${events.length} events could not be stored: ${st.lastError?.message ?? ''}`);
      });
      chain = run.catch(() => undefined);
      return run;
    },
    onStored(events) {
      // Before start() completes, committed batches are found by its catch-up from the store.
      if (busFeed || stopRequested || !st.started) return;
      if (!log) {
        if (st.queuedEvents + events.length > config.maxQueuedEvents) {
          st.eventsDropped += events.length;
          fail('read', new Error(`detection queue full (${st.queuedEvents} events): ${events.length} events not analysed (this store has no event log to catch up from)`));
          return;
        }
        known += events.length;
        queue.push({ after: known - events.length, to: known, events });
        st.queuedEvents += events.length;
        kick();
        return;
      }
      let head: number;
      try {
        head = log.head();
      } catch (e) {
        fail('read', e);
        return;
      }
      const prev = known;
      if (head <= prev) return; // all duplicates
      known = head;
      // The batch is exactly (prev, head] when nothing else was written: then keep its events.
      if (
        events.length > 0 &&
        head - prev === events.length &&
        st.queuedEvents + events.length <= config.maxQueuedEvents &&
        log.idAt(prev + 1) === events[0].id &&
        log.idAt(head) === events[events.length - 1].id
      ) {
        queue.push({ after: prev, to: head, events });
        st.queuedEvents += events.length;
      }
      st.head = known;
      st.backlog = known - st.position;
      kick();
    },
    async drain() {
      if (busFeed) {
        await chain;
        updateBacklog();
        return;
      }
      for (;;) {
        if (log) known = Math.max(known, log.head());
        if (running) await running;
        const more = st.mode === 'listener' ? queue.length > 0 : st.position < known;
        if (!more || stopRequested) break;
        kick();
        if (!running) break;
      }
      updateBacklog();
    },
    async finish() {
      await engine.drain();
      const signals: Signal[] = [];
      if (sigma) {
        const out = await timed('sigma', () => sigma.flush(Infinity));
        if (out) signals.push(...out);
      }
      if (baselines) {
        const out = await timed('baselines', () => baselines.flushAll(st.watermark));
        if (out) signals.push(...out);
      }
      await emit(signals);
      dirty = true;
    },
    checkpoint,
    async stop(o = {}) {
      if (!st.started || st.stopping) return;
      st.stopping = true;
      const drainMs = o.drainMs ?? 5_000;
      if (drainMs > 0) {
        const timer = new Promise<void>((r) => setTimeout(r, drainMs).unref?.());
        await Promise.race([engine.drain(), timer]);
      }
      stopRequested = true;
      if (running) await running;
      if (busFeed) await chain;
      await checkpoint();
      await later.close();
      log?.close();
      logger.info({ position: st.position, head: known, events: st.events, signals: st.signals.total }, 'engine stopped');
    },
    status() {
      updateBacklog();
      return { ...st, signals: { total: st.signals.total, byKind: { ...st.signals.byKind } }, errors: { ...st.errors }, stageSeconds: { ...st.stageSeconds }, stages: [...st.stages] };
    },
    ready() {
      return st.started && !st.stopping;
    },
  };
  return engine;
}
