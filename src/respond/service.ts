/**
 * The response stage as the server and the command line see it:
 *
 *   - which policy and connectors are in force (resolveResponseSetup): GARRISON_POLICY or
 *     `<dataDir>/policy.yaml` or the shipped default; GARRISON_CONNECTORS or
 *     `<dataDir>/connectors.yaml`, else none (actions are then previewed, never executed: dry run);
 *   - the one responder per store (responderFor): the engine's responder registers itself, and
 *     the API / CLI use it; when the engine does not run one, a standalone responder is built;
 *   - ResponseApi: what the HTTP routes call (transport-neutral);
 *   - responseService: the expiry loop inside `garrison serve`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GarrisonError } from '../core/errors.js';
import type { AuditEntry, AuditVerification, Store } from '../store/port.js';
import type { ServerService, ServiceFactory } from '../surface/server/context.js';
import { connectorSet, type ConnectorSet } from './connectors/port.js';
import { loadConnectorsFile } from './connectors/registry.js';
import { createResponder, type ActionQuery, type KillSwitchState, type PreviewResult, type Responder, type ResponderOptions } from './executor.js';
import { DEFAULT_POLICY_PATH, loadPolicyFile, type Policy } from './policy/load.js';
import { parseDuration } from './policy/schema.js';
import { ACTION_STATUSES, type ActionDoc, type ActionStatus } from './types.js';
import { registerResponder, responderFor } from './current.js';

export { registerResponder, responderFor, unregisterResponder } from './current.js';

export interface ResponseSetup {
  policy: Policy;
  policyFile: string;
  connectors: ConnectorSet;
  connectorsFile?: string;
  /** True when no connector file is configured: plan and preview only. */
  dryRun: boolean;
}

/** Finds and loads the policy and connector configuration (see the file comment). */
export function resolveResponseSetup(opts: { dataDir: string; policyFile?: string; connectorsFile?: string; env?: NodeJS.ProcessEnv }): ResponseSetup {
  const env = opts.env ?? process.env;
  const local = join(opts.dataDir, 'policy.yaml');
  const policyFile = opts.policyFile ?? env.GARRISON_POLICY ?? (existsSync(local) ? local : DEFAULT_POLICY_PATH);
  const policy = loadPolicyFile(policyFile);
  const localConn = join(opts.dataDir, 'connectors.yaml');
  const connectorsFile = opts.connectorsFile ?? env.GARRISON_CONNECTORS ?? (existsSync(localConn) ? localConn : undefined);
  const connectors = connectorsFile ? loadConnectorsFile(connectorsFile) : connectorSet([]);
  return { policy, policyFile, connectors, connectorsFile, dryRun: connectorsFile === undefined };
}

// ----------------------------------------------------------------------------- one per store

/** The registered responder, or a standalone one built from the setup (registered in turn). */
export function ensureResponder(store: Store, setup: () => ResponseSetup, extra: Partial<ResponderOptions> = {}): Responder {
  const have = responderFor(store);
  if (have) return have;
  const s = setup();
  const r = createResponder({ store, policy: s.policy, connectors: s.connectors, dryRun: s.dryRun, ...extra });
  registerResponder(store, r);
  return r;
}

// ------------------------------------------------------------------------------------- API

const statusList = (v: string | undefined): ActionStatus[] | undefined => {
  if (!v) return undefined;
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!(ACTION_STATUSES as readonly string[]).includes(p)) throw new GarrisonError('BAD_REQUEST', `unknown action status '${p.slice(0, 40)}' (one of ${ACTION_STATUSES.join(', ')})`, { location: { field: 'status' } });
  return parts as ActionStatus[];
};

const intParam = (v: string | undefined, field: string, max: number): number | undefined => {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,12}$/.test(v) || Number(v) > max) throw new GarrisonError('BAD_REQUEST', `${field} must be an integer between 0 and ${max}`, { location: { field } });
  return Number(v);
};

/** What the HTTP routes call: transport-neutral, every input checked. */
export class ResponseApi {
  constructor(
    private readonly store: Store,
    private readonly responder: () => Responder,
  ) {}

  async list(q: { status?: string; incident?: string; limit?: string; tenant?: string }): Promise<{ actions: ActionDoc[] }> {
    const query: ActionQuery = { status: statusList(q.status), incident: q.incident || undefined, tenant: q.tenant || undefined, limit: intParam(q.limit, 'limit', 10_000) ?? 500 };
    return { actions: await this.responder().list(query) };
  }

  async get(id: string): Promise<{ action: ActionDoc; audit: AuditEntry[] }> {
    const a = await this.responder().get(id);
    if (!a) throw new GarrisonError('NOT_FOUND', `no action ${id}`);
    return { action: a, audit: await this.store.listAudit({ target: id, limit: 1000 }) };
  }

  preview(id: string): Promise<PreviewResult> {
    return this.responder().preview(id);
  }

  async decide(id: string, op: 'approve' | 'reject' | 'rollback', by: string, reason: unknown): Promise<{ action: ActionDoc }> {
    if (typeof reason !== 'string') throw new GarrisonError('BAD_REQUEST', 'a reason is required', { location: { field: 'reason' } });
    const r = this.responder();
    const action = op === 'approve' ? await r.approve(id, by, reason) : op === 'reject' ? await r.reject(id, by, reason) : await r.rollback(id, by, reason);
    return { action };
  }

  async renew(id: string, by: string, body: { ttl?: unknown; reason?: unknown }): Promise<{ action: ActionDoc }> {
    if (typeof body.reason !== 'string' || !body.reason.trim()) throw new GarrisonError('BAD_REQUEST', 'a reason is required', { location: { field: 'reason' } });
    const ttlMs = typeof body.ttl === 'string' || typeof body.ttl === 'number' ? parseDuration(body.ttl) : undefined;
    if (ttlMs === undefined) throw new GarrisonError('RESPOND_TTL_INVALID', 'ttl must be a duration such as 4h or a number of milliseconds', { location: { field: 'ttl' } });
    return { action: await this.responder().renew(id, by, ttlMs) };
  }

  killSwitch(on: unknown, by: string, reason: unknown): Promise<KillSwitchState> {
    if (typeof on !== 'boolean') throw new GarrisonError('BAD_REQUEST', 'on must be true or false', { location: { field: 'on' } });
    if (typeof reason !== 'string') throw new GarrisonError('BAD_REQUEST', 'a reason is required', { location: { field: 'reason' } });
    return this.responder().killSwitch(on, by, reason);
  }

  killSwitchState(): Promise<KillSwitchState> {
    return this.responder().killSwitchState();
  }

  async connectors(): Promise<{ dryRun: boolean; connectors: Awaited<ReturnType<Responder['health']>> }> {
    const r = this.responder();
    return { dryRun: r.dryRun, connectors: await r.health() };
  }

  policy(): { name: string; version: string; hash: string; file: string; dryRun: boolean; killSwitch: boolean; policy: Omit<Policy, 'ruleLines'> } {
    const p = this.responder().policy;
    const { ruleLines: _l, ...rest } = p;
    return { name: p.name, version: p.version, hash: p.hash, file: p.file, dryRun: p.dryRun, killSwitch: p.killSwitch, policy: rest };
  }

  async audit(q: { afterSeq?: string; limit?: string; target?: string }): Promise<{ entries: AuditEntry[]; nextAfterSeq?: number }> {
    const limit = intParam(q.limit, 'limit', 10_000) ?? 500;
    const entries = await this.store.listAudit({ afterSeq: intParam(q.afterSeq, 'afterSeq', Number.MAX_SAFE_INTEGER), limit, target: q.target || undefined });
    return { entries, nextAfterSeq: entries.length === limit ? entries.at(-1)!.seq : undefined };
  }

  verify(): Promise<AuditVerification> {
    return this.store.verifyAudit();
  }
}

// -------------------------------------------------------------------------------- the server

interface HasServerBits {
  store: Store;
  config: { dataDir: string };
}

const apis = new WeakMap<object, ResponseApi>();

/** The ResponseApi of a running server (one per server context). */
export function responseApi(ctx: HasServerBits): ResponseApi {
  let a = apis.get(ctx);
  if (!a) {
    a = new ResponseApi(ctx.store, () => ensureResponder(ctx.store, () => resolveResponseSetup({ dataDir: ctx.config.dataDir })));
    apis.set(ctx, a);
  }
  return a;
}

/** Rolls back expired actions every 30 s inside `garrison serve` (whichever responder is registered). */
export const responseService: ServiceFactory = (ctx) => {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const log = ctx.logger.child({ component: 'respond' });
  const svc: ServerService = {
    name: 'response-expiry',
    phase: 'process',
    async start() {
      timer = setInterval(() => {
        if (running) return;
        running = true;
        const r = ensureResponder(ctx.store, () => resolveResponseSetup({ dataDir: ctx.config.dataDir }));
        r.expireDue()
          .then((done) => {
            if (done.length) log.info({ expired: done.map((d) => ({ id: d.id, status: d.status })) }, 'expired actions rolled back');
          })
          .catch((e) => log.error({ err: e }, 'action expiry failed'))
          .finally(() => {
            running = false;
          });
      }, 30_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
    },
  };
  return svc;
};
