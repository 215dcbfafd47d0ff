/**
 * What the server hands to route modules and services, and the two extension points later
 * stages use: a route module (routes/index.ts lists them) and a service with a start/stop
 * lifecycle (services.ts lists them). Both are explicit typed lists: nothing is discovered.
 */
import type { FastifyInstance } from 'fastify';
// Brings @fastify/swagger's schema fields (tags, summary, security) into FastifySchema.
import type {} from '@fastify/swagger';
import type { GarrisonConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import type { EventsApi } from '../../ingest/api/service.js';
import type { HecService } from '../../ingest/hec/service.js';
import type { Pipeline } from '../../ingest/pipeline.js';
import type { IngestSink } from '../../ingest/sink.js';
import type { Store } from '../../store/port.js';
import type { Tokens } from './auth.js';
import type { ServerMetrics } from './metrics.js';

export interface ServerContext {
  readonly config: GarrisonConfig;
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly tokens: Tokens;
  readonly hec: HecService;
  readonly events: EventsApi;
  /** The pipeline seen through per-source counters: every source submits through one of these. */
  sink(source: string): IngestSink;
  /** True once shutdown began: /readyz answers 503. */
  readonly stopping: boolean;
  /** Readiness of the running services (for /readyz). */
  serviceStates(): { name: string; ready: boolean }[];
}

/**
 * A long-running part of the server (syslog listeners, detection, correlation ...).
 * `phase: 'ingest'` services produce events and are stopped before the pipeline is flushed;
 * `phase: 'process'` services (consumers of pipeline.onStored) are stopped after it, so they
 * see the last batches. Services start in list order and stop in reverse order.
 */
export interface ServerService {
  readonly name: string;
  readonly phase: 'ingest' | 'process';
  start(ctx: ServerContext): Promise<void>;
  stop(): Promise<void>;
  /** For /readyz; absent = always ready. */
  ready?(): boolean;
}

/** Creates the service from the context, or undefined when the configuration disables it. */
export type ServiceFactory = (ctx: ServerContext) => ServerService | ServerService[] | undefined;

/**
 * A group of HTTP routes. `scope: 'api'` modules are mounted under /api behind the bearer-token
 * check (they cannot forget auth); `scope: 'root'` modules are mounted at the root with no auth
 * (health, metrics, HEC which has its own Splunk token scheme). Each module is registered in its
 * own encapsulated fastify context, so its content-type parsers and hooks stay local.
 * Routes do transport only: parse the request, call a service, send its reply.
 */
export interface RouteModule {
  readonly name: string;
  readonly scope: 'root' | 'api';
  register(app: FastifyInstance, ctx: ServerContext): Promise<void> | void;
}

/**
 * One instance per server of something built from its context (a route module's service):
 * `const svc = perServer((ctx) => new XService(ctx.store))`, then `svc(ctx)` anywhere.
 */
export function perServer<T extends object>(make: (ctx: ServerContext) => T): (ctx: ServerContext) => T {
  const made = new WeakMap<ServerContext, T>();
  return (ctx) => {
    let v = made.get(ctx);
    if (!v) made.set(ctx, (v = make(ctx)));
    return v;
  };
}
