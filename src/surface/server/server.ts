/**
 * Starts and stops the whole server: store → pipeline → HTTP app → services.
 *
 * Shutdown (close(), also on SIGTERM/SIGINT from the serve command) runs in this order:
 *   1. /readyz turns 503; the HTTP listener stops accepting; in-flight requests finish
 *      (their submits are committed before they answer);
 *   2. ingest-phase services (syslog listeners) stop accepting and settle;
 *   3. the pipeline refuses new work and flushes everything accepted to the store;
 *   4. process-phase services (consumers of stored events) stop;
 *   5. the bus (scaled-out roles) and the store are closed.
 *
 * `cluster.role` (src/app/roles.ts, docs/deployment.md) selects what runs: `all` (default: ingest,
 * API and the engine in this process), `ingest` (ingest + API; committed batches are published to
 * the bus before they are acknowledged) or `engine` (a worker: health and metrics routes only, the
 * engine fed by the bus).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { GarrisonConfig } from '../../core/config.js';
import { toGarrisonError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { EventsApi } from '../../ingest/api/service.js';
import { HecService } from '../../ingest/hec/service.js';
import { HecWorkerPool, parseWithPreParsed } from '../../ingest/hec/workers.js';
import { createPipeline, DEFAULT_MAX_EVENT_BYTES } from '../../ingest/pipeline.js';
import type { IngestSink } from '../../ingest/sink.js';
import type { Store } from '../../store/port.js';
import { defaultStorePath, openStore } from '../../store/index.js';
import { openBus, type Bus } from '../../bus/index.js';
import { attachClusterBus, checkDeployment, planRole, redactUrl } from '../../app/roles.js';
import { publishingStore } from '../../app/event-feed.js';
import { markInjectedStore } from '../../app/service.js';
import { buildApp } from './app.js';
import { loadTokens } from './auth.js';
import type { RouteModule, ServerContext, ServerService, ServiceFactory } from './context.js';
import { ServerMetrics } from './metrics.js';
import { ROUTES } from './routes/index.js';
import { SERVICES } from './services.js';

export interface StartOptions {
  config: GarrisonConfig;
  logger?: Logger;
  /** Called once with tokens generated on first run (the serve command prints them). */
  announceTokens?: (t: { api?: string; hec?: string }) => void;
  /** Replaces the store (tests); default: the configured store (SQLite file or PostgreSQL). */
  store?: Store;
  /** Replaces the bus of the scaled-out roles (tests sharing one in-process bus); default: opened from `bus:`. Not closed by the server. */
  bus?: Bus;
  routes?: readonly RouteModule[];
  services?: readonly ServiceFactory[];
  /** prom-client default process metrics (off in tests that start many servers). */
  defaultMetrics?: boolean;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly ctx: ServerContext;
  /** http://host:port actually bound (port 0 → the chosen port). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** `<dataDir>/garrison.db` unless store.file is set (the SQLite store; '' for PostgreSQL). */
export function storeFile(config: GarrisonConfig): string {
  return config.store.kind === 'sqlite' ? (config.store.file ?? defaultStorePath(config.dataDir)) : '';
}

/** Where the store is, for logs and the console: the SQLite file, or the PostgreSQL URL (password hidden) and schema. */
export function describeStore(config: GarrisonConfig): string {
  const s = config.store;
  return s.kind === 'sqlite' ? storeFile(config) : `postgres ${redactUrl(s.url)} schema ${s.schema}`;
}

/** The configured store: the embedded SQLite file at storeFile() with the store.* settings, or PostgreSQL. */
export function openConfiguredStore(config: GarrisonConfig): Store {
  const s = config.store;
  if (s.kind === 'postgres') {
    const { kind: _k, ...pg } = s;
    return openStore({ kind: 'postgres', ...pg });
  }
  return openStore({
    kind: 'sqlite',
    file: storeFile(config),
    ...(s.synchronous ? { synchronous: s.synchronous } : {}),
    ...(s.fts ? { fts: s.fts } : {}),
    ...(s.cacheMb ? { cacheMb: s.cacheMb } : {}),
  });
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const config = opts.config;
  const logger = opts.logger ?? createLogger({ level: config.logging.level });
  const log = logger.child({ component: 'server' });
  const plan = planRole(config);
  checkDeployment(config, { store: !!opts.store, bus: !!opts.bus });
  const store = opts.store ?? openConfiguredStore(config);
  try {
    await store.init();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  // The split roles talk over the bus; role all calls the stages directly and opens none.
  let bus: Bus | undefined = opts.bus;
  const ownBus = !bus && plan.needsBus;
  if (ownBus) {
    try {
      bus = await openBus(config.bus);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
  }

  const metrics = new ServerMetrics({ defaultMetrics: opts.defaultMetrics });
  // Role ingest: handing committed batches to the engine workers.
  const publishSeconds = new Histogram({
    name: 'garrison_bus_publish_seconds',
    help: 'Time to publish one committed batch of stored events to the bus (role ingest; inside the acknowledgement path).',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: plan.publishEvents ? [metrics.registry] : [],
  });
  const publishedMessages = new Counter({ name: 'garrison_bus_published_messages_total', help: 'Bus messages of stored events published (role ingest).', registers: plan.publishEvents ? [metrics.registry] : [] });
  const pipeline = createPipeline({
    // Role ingest: a batch is acknowledged once committed and published to the engine workers.
    store:
      plan.publishEvents && bus
        ? publishingStore(store, bus, {
            eventsPerMessage: config.cluster.eventsPerMessage,
            onPublish: (i) => {
              publishSeconds.observe(i.ms / 1000);
              publishedMessages.inc(i.messages);
            },
          })
        : store,
    maxQueuedEvents: config.ingest.maxQueuedEvents,
    maxQueuedBytes: config.ingest.maxQueuedBytes,
    maxEventBytes: Math.max(DEFAULT_MAX_EVENT_BYTES, config.hec.maxEventBytes, config.api.maxEventBytes),
    onWrite: (w) => metrics.storeWrite.observe(w.ms / 1000),
    parse: parseWithPreParsed(),
  });
  metrics.setQueueProbe(() => {
    const s = pipeline.stats();
    return { events: s.queuedEvents, bytes: s.queuedBytes };
  });

  let tokens;
  try {
    // An engine worker serves no authenticated route: it never generates tokens.
    tokens = loadTokens(plan.api ? config : { ...config, auth: { ...config.auth, generateOnFirstRun: false } });
  } catch (e) {
    await pipeline.close();
    if (ownBus) await bus?.close().catch(() => undefined);
    await store.close();
    throw e;
  }
  if (tokens.generated.api || tokens.generated.hec) opts.announceTokens?.(tokens.generated);

  const sinks = new Map<string, IngestSink>();
  const sink = (source: string): IngestSink => {
    let s = sinks.get(source);
    if (!s) sinks.set(source, (s = metrics.countingSink(pipeline, source)));
    return s;
  };
  const queueHasRoom = () => {
    const s = pipeline.stats();
    return s.queuedEvents < config.ingest.maxQueuedEvents && s.queuedBytes < config.ingest.maxQueuedBytes;
  };
  const pool =
    config.hec.enabled && config.hec.workers > 0
      ? new HecWorkerPool(config.hec.workers, { tenant: config.tenant, maxEventBytes: config.hec.maxEventBytes, maxFieldBytes: config.hec.maxFieldBytes }, (e) =>
          log.error({ err: e }, 'HEC worker died; replaced'),
        )
      : undefined;
  const hec = new HecService({
    pool,
    sink: sink('hec'),
    verifyToken: (t) => tokens.hec.verify(t),
    tenant: config.tenant,
    maxBodyBytes: config.hec.maxBodyBytes,
    maxEventBytes: config.hec.maxEventBytes,
    maxFieldBytes: config.hec.maxFieldBytes,
    maxErrorsReported: config.hec.maxErrorsReported,
    retryAfterSeconds: config.ingest.retryAfterSeconds,
    ack: config.hec.ack,
    healthy: queueHasRoom,
    onRejected: (code, n) => metrics.rejectedBeforeSubmit('hec', code, n),
  });
  const events = new EventsApi({
    sink: sink('api'),
    store,
    tenant: config.tenant,
    maxBodyBytes: config.api.maxBodyBytes,
    maxEventBytes: config.api.maxEventBytes,
    maxErrorsReported: config.api.maxErrorsReported,
    maxSearchLimit: config.api.maxSearchLimit,
    onRejected: (code, n) => metrics.rejectedBeforeSubmit('api', code, n),
  });

  let stopping = false;
  const running: ServerService[] = [];
  const ctx: ServerContext = {
    config,
    store,
    pipeline,
    metrics,
    logger,
    tokens,
    hec,
    events,
    sink,
    get stopping() {
      return stopping;
    },
    serviceStates: () => running.map((s) => ({ name: s.name, ready: s.ready ? s.ready() : true })),
  };
  if (bus) attachClusterBus(ctx, bus);
  if (opts.store) markInjectedStore(ctx);

  let app: FastifyInstance | undefined;
  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (what: string, f: () => Promise<unknown> | undefined) => {
      try {
        log.debug({ step: what }, 'shutdown step');
        await f();
      } catch (e) {
        errors.push(e);
        log.error({ err: e }, `shutdown: ${what} failed`);
      }
    };
    if (app) await attempt('http close', () => app!.close());
    for (const s of [...running].reverse()) if (s.phase === 'ingest') await attempt(`stop ${s.name}`, () => s.stop());
    if (pool) await attempt('HEC workers', () => pool.close());
    await attempt('pipeline flush', () => pipeline.close());
    for (const s of [...running].reverse()) if (s.phase === 'process') await attempt(`stop ${s.name}`, () => s.stop());
    if (ownBus && bus) await attempt('bus close', () => bus!.close());
    await attempt('store close', () => store.close());
    if (errors.length) throw toGarrisonError(errors[0]);
  };

  try {
    const routes = opts.routes ?? ROUTES;
    app = await buildApp(ctx, plan.routes ? routes.filter((r) => plan.routes!.includes(r.name)) : routes);
    for (const f of opts.services ?? SERVICES) {
      const made = f(ctx);
      for (const s of made === undefined ? [] : Array.isArray(made) ? made : [made]) {
        if (plan.skipServices.includes(s.name)) continue;
        await s.start(ctx);
        running.push(s);
        log.info({ service: s.name }, 'service started');
      }
    }
    await app.listen({ host: config.server.host, port: config.server.port });
  } catch (e) {
    stopping = true;
    await stopAll().catch(() => undefined);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  log.info({ url, role: plan.role, node: plan.node, store: opts.store ? 'custom' : describeStore(config), bus: bus ? bus.kind : 'none' }, 'garrison server listening');

  let closing: Promise<void> | undefined;
  return {
    app,
    ctx,
    url,
    port,
    close(): Promise<void> {
      if (!closing) {
        stopping = true;
        const t0 = Date.now();
        closing = stopAll().then(() => log.info({ ms: Date.now() - t0, stats: pipeline.stats() }, 'garrison server stopped'));
      }
      return closing;
    },
  };
}
