/**
 * What each process role runs (docs/deployment.md):
 *
 * | role   | ingest listeners (HEC, /api/v1/events, syslog …) | API + console | engine                         | bus                                           |
 * |--------|--------------------------------------------------|---------------|--------------------------------|-----------------------------------------------|
 * | all    | yes                                              | yes           | in process, direct calls       | not used                                      |
 * | ingest | yes; a batch is acknowledged once stored AND published | yes     | no                             | publishes TOPICS.events; relays incident, verdict and action changes to the live hub |
 * | engine | no (only /healthz, /readyz, /metrics)            | no            | fed by the bus (consumer group) | consumes TOPICS.events; publishes incidents, verdicts, actions |
 *
 * The split roles need a store every process shares (PostgreSQL) and a bus between processes
 * (NATS JetStream); `checkDeployment` says so with every problem listed.
 */
import { hostname } from 'node:os';
import type { GarrisonConfig } from '../core/config.js';
import { GarrisonError, ProblemList } from '../core/errors.js';
import type { Bus } from '../bus/port.js';
import type { Role } from './config.js';

export interface RolePlan {
  role: Role;
  /** HEC, /api/v1/events and standalone sources (syslog …). */
  ingest: boolean;
  /** The /api routes and the console. */
  api: boolean;
  /** How the engine runs here: in process on the pipeline, fed by the bus, or not at all. */
  engine: 'direct' | 'bus' | 'none';
  /** Committed batches are published to TOPICS.events before they are acknowledged. */
  publishEvents: boolean;
  /** Incident/verdict/action changes from the bus are relayed to this node's live hub. */
  liveFromBus: boolean;
  /** This role needs a bus shared between processes. */
  needsBus: boolean;
  /** This process's name in the deployment. */
  node: string;
  /** Route modules mounted (undefined: all). */
  routes?: readonly string[];
  /** Services (by name) not started in this role. */
  skipServices: readonly string[];
}

/** Route modules an engine worker serves: health and metrics only (no ingest, no API). */
export const ENGINE_ROUTES = ['health', 'metrics'] as const;

/** A node name usable in consumer-group names: letters, digits, _ and -. */
export function nodeName(config: GarrisonConfig): string {
  if (config.cluster.node) return config.cluster.node;
  const h = hostname().replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return h || 'node';
}

export function planRole(config: GarrisonConfig): RolePlan {
  const role = config.cluster.role;
  const node = nodeName(config);
  const engineOn = config.engine.enabled;
  switch (role) {
    case 'ingest':
      return { role, ingest: true, api: true, engine: 'none', publishEvents: true, liveFromBus: config.cluster.liveFromBus, needsBus: true, node, skipServices: ['engine', 'response-expiry'] };
    case 'engine':
      return { role, ingest: false, api: false, engine: engineOn ? 'bus' : 'none', publishEvents: false, liveFromBus: false, needsBus: true, node, routes: ENGINE_ROUTES, skipServices: ['sources'] };
    default:
      return { role: 'all', ingest: true, api: true, engine: engineOn ? 'direct' : 'none', publishEvents: false, liveFromBus: false, needsBus: false, node, skipServices: [] };
  }
}

/**
 * Checks that the configuration can run the role: the split roles need PostgreSQL and NATS (or a
 * store and bus handed in by the caller, e.g. tests sharing instances in one process). Throws
 * CONFIG_INVALID listing every problem.
 */
export function checkDeployment(config: GarrisonConfig, given: { store?: boolean; bus?: boolean } = {}): void {
  const role = config.cluster.role;
  if (role === 'all') return;
  const problems = new ProblemList();
  if (!given.store && config.store.kind !== 'postgres') {
    problems.add(
      new GarrisonError('CONFIG_INVALID', `cluster.role ${role} needs a store every process shares: store.kind postgres (GARRISON_STORE_URL=postgres://… or --store-url); the SQLite file is for role all`, {
        location: { field: 'store.kind' },
      }),
    );
  }
  if (!given.bus && config.bus.kind !== 'nats') {
    problems.add(
      new GarrisonError('CONFIG_INVALID', `cluster.role ${role} needs a bus between processes: bus.kind nats (GARRISON_BUS_URL=nats://… or --bus-url); the memory bus only works inside one process`, {
        location: { field: 'bus.kind' },
      }),
    );
  }
  if (role === 'engine' && !config.engine.enabled) {
    problems.add(new GarrisonError('CONFIG_INVALID', 'cluster.role engine with engine.enabled false runs nothing', { location: { field: 'engine.enabled' } }));
  }
  if (!problems.ok) {
    throw new GarrisonError('CONFIG_INVALID', `invalid configuration (${problems.problems.length} problem${problems.problems.length === 1 ? '' : 's'}):\n${problems.format()}`, {
      details: { problems: problems.problems.map((p) => p.toJSON()) },
    });
  }
}

// The bus of a running server, for the services that need it (the server context has no field for it).
const buses = new WeakMap<object, Bus>();

/** Registers the bus a server opened for its role (server.ts). */
export function attachClusterBus(ctx: object, bus: Bus): void {
  buses.set(ctx, bus);
}

/** The bus of this server, if its role uses one. */
export function clusterBus(ctx: object): Bus | undefined {
  return buses.get(ctx);
}

/** A store URL for logs and the console output: the password is never shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
