/**
 * The responder: takes verdicts, plans containment, decides each action's mode through the policy,
 * and carries actions out under guardrails:
 *
 *   preview  - the connector reads the current state first (a dry run against reality);
 *   execute  - idempotent connector call, retried with exponential back-off on transient failures;
 *   verify   - the state is read back; an action is only `active` once the effect is observed;
 *   audit    - every step goes to the hash-chained audit log (who or what, why, evidence, rule, result);
 *   expire   - reversible actions carry a TTL and are rolled back when it passes unless renewed;
 *   rollback - undo and verify by reading back; an effect that was already there before is left alone.
 *
 * Decisions and rate-limit reservations are serialised (one mutex), so caps hold under concurrent
 * verdicts and approvals; connector calls run outside it, one operation per action at a time.
 */
import { createHash } from 'node:crypto';
import { GarrisonError, toGarrisonError } from '../core/errors.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { VerdictConsumer } from '../core/stages.js';
import type { StoredRecord, Store } from '../store/port.js';
import { ACTIONS, checkPreconditions, isReversible } from './actions/registry.js';
import { describeTarget, targetKey } from './actions/targets.js';
import type { ConnectorSet } from './connectors/port.js';
import { evaluate, HOST_GUARD_TAGS, type Decision } from './policy/evaluate.js';
import type { Policy } from './policy/load.js';
import { formatDuration } from './policy/schema.js';
import { planIncident, type PlannedAction } from './plan.js';
import { responseContext, type ContextSource } from './context.js';
import { registerResponder, unregisterResponder } from './current.js';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.js';
import { EXECUTED_STATUSES, OPEN_STATUSES, type ActionDoc, type ActionStatus, type ResponseContext } from './types.js';

export interface ResponderLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
  error(o: object, msg?: string): void;
}

export interface ResponderOptions {
  store: Store;
  policy: Policy;
  connectors: ConnectorSet;
  /** Asset / identity context: correlation's ContextIndex or a ResponseContext; else the incident entities' context is used. */
  context?: ResponseContext | ContextSource;
  /** Clock (ms epoch); injectable for tests and replays. */
  now?: () => number;
  /** Run expireDue() every this many ms (real timer, unref'd). 0 / absent: call expireDue() yourself. */
  expiryIntervalMs?: number;
  retry?: Partial<RetryOptions>;
  /** Forces dry-run whatever the policy says. */
  dryRun?: boolean;
  logger?: ResponderLogger;
  /** Called after every change of an action (to publish on the bus / live feed). */
  onAction?: (doc: ActionDoc) => void;
}

export interface KillSwitchState {
  on: boolean;
  /** 'policy' when the policy file sets killSwitch: true (turn it off there). */
  source: 'policy' | 'runtime' | 'off';
  by?: string;
  at?: number;
  reason?: string;
}

export interface ActionQuery {
  status?: ActionStatus | ActionStatus[];
  incident?: string;
  tenant?: string;
  limit?: number;
}

export interface PreviewResult {
  actionId: string;
  connector?: string;
  inEffect?: boolean;
  summary: string;
}

export interface Responder extends VerdictConsumer {
  readonly policy: Policy;
  readonly connectors: ConnectorSet;
  /** Health of every connector (name, type, kinds, ok, detail). */
  health(): Promise<{ name: string; type: string; kinds: readonly string[]; ok: boolean; detail: string }[]>;
  /** True when actions are previewed only (policy dryRun or no connectors configured). */
  readonly dryRun: boolean;
  /** Like onVerdict, returning the actions it created or touched. */
  respond(incident: Incident, verdict: IncidentVerdict): Promise<ActionDoc[]>;
  approve(actionId: string, by: string, reason: string): Promise<ActionDoc>;
  reject(actionId: string, by: string, reason: string): Promise<ActionDoc>;
  rollback(actionId: string, by: string, reason: string): Promise<ActionDoc>;
  renew(actionId: string, by: string, ttlMs: number): Promise<ActionDoc>;
  /** Rolls back every active action whose TTL has passed; returns them. */
  expireDue(): Promise<ActionDoc[]>;
  killSwitch(on: boolean, by: string, reason: string): Promise<KillSwitchState>;
  killSwitchState(): Promise<KillSwitchState>;
  preview(actionId: string): Promise<PreviewResult>;
  get(actionId: string): Promise<ActionDoc | undefined>;
  list(q?: ActionQuery): Promise<ActionDoc[]>;
  close(): Promise<void>;
}

const KILL_SWITCH_KEY = 'respond.killSwitch';
const MAX_REASON = 2000;

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

export function actionId(incidentId: string, key: string): string {
  return 'act_' + createHash('sha256').update(`${incidentId}\n${key}`).digest('hex').slice(0, 24);
}

function needReason(reason: unknown, field = 'reason'): string {
  if (typeof reason !== 'string' || reason.trim().length === 0) throw new GarrisonError('BAD_REQUEST', 'a reason is required', { location: { field } });
  if (reason.length > MAX_REASON) throw new GarrisonError('BAD_REQUEST', `the reason is longer than ${MAX_REASON} characters`, { location: { field } });
  return reason.trim();
}

function needActor(by: unknown): string {
  if (typeof by !== 'string' || !/^[A-Za-z0-9_.:@\\-]{1,200}$/.test(by)) throw new GarrisonError('BAD_REQUEST', 'the actor must be a principal id such as user:alice', { location: { field: 'by' } });
  return by;
}

/** Approvals needed whatever the rule says: two for guarded targets (domain controllers, crown jewels, break-glass). */
function guardedApprovals(p: PlannedAction): 1 | 2 {
  const tags = (p.asset?.tags ?? []).map((t) => t.toLowerCase());
  if (p.target.type !== 'channel' && p.target.type !== 'ip' && p.target.type !== 'domain' && p.target.type !== 'account' && (p.asset?.crownJewel || HOST_GUARD_TAGS.some((t) => tags.includes(t)))) return 2;
  if (p.target.type === 'account' && p.identity?.type === 'break_glass') return 2;
  return 1;
}

export function createResponder(opts: ResponderOptions): Responder {
  const { store, policy, connectors } = opts;
  const now = opts.now ?? Date.now;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry };
  const mutex = new Mutex();
  const busy = new Set<string>();
  const log = opts.logger;
  const dryRun = (): boolean => opts.dryRun === true || policy.dryRun;
  const context = responseContext(opts.context);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const audit = (actor: string, action: string, target: string, doc: Record<string, unknown>) => store.appendAudit({ time: now(), actor, action, target, doc });

  const policyRef = (d: Decision) => ({ name: policy.name, version: policy.version, hash: policy.hash, rule: d.rule, reason: d.reason });

  async function save(doc: ActionDoc): Promise<ActionDoc> {
    doc.updatedAt = now();
    const rec: StoredRecord<ActionDoc> = { id: doc.id, tenant: doc.tenant, status: doc.status, ref: doc.incidentId, createdAt: doc.createdAt, updatedAt: doc.updatedAt, doc };
    await store.putRecords('actions', [rec]);
    indexSaved(doc);
    ledgerNote(doc);
    try {
      opts.onAction?.(doc);
    } catch (e) {
      log?.warn({ err: e }, 'onAction listener failed');
    }
    return doc;
  }

  /** A verified containment action marks its incident contained (unless closed); audited. Never fails the action. */
  async function markContained(doc: ActionDoc, actor: string): Promise<void> {
    if (doc.kind === 'notify' || !doc.incidentId) return;
    try {
      const r = await store.getRecord<Incident>('incidents', doc.incidentId);
      if (!r || r.doc.status === 'closed' || r.doc.status === 'contained') return;
      const t = now();
      const inc: Incident = { ...r.doc, status: 'contained', updatedAt: t, revision: (r.doc.revision ?? 0) + 1 };
      await store.putRecords<Incident>('incidents', [{ ...r, status: 'contained', updatedAt: t, doc: inc }]);
      await audit(actor, 'incident.contained', doc.incidentId, { action: doc.id, kind: doc.kind, target: targetKey(doc.target) });
    } catch (e) {
      log?.warn({ err: e, incident: doc.incidentId }, 'marking the incident contained failed');
    }
  }

  async function load(id: string): Promise<ActionDoc> {
    if (typeof id !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(id)) throw new GarrisonError('BAD_REQUEST', 'not an action id', { location: { field: 'id' } });
    const r = await store.getRecord<ActionDoc>('actions', id);
    if (!r) throw new GarrisonError('NOT_FOUND', `no action ${id}`);
    return r.doc;
  }

  function setStatus(doc: ActionDoc, status: ActionStatus, by: string, what: string, note?: string): void {
    doc.status = status;
    doc.history.push({ at: now(), by, what, status, note: note?.slice(0, MAX_REASON) });
  }

  async function killState(): Promise<KillSwitchState> {
    if (policy.killSwitch) return { on: true, source: 'policy', reason: `policy ${policy.name} sets killSwitch: true` };
    const raw = await store.getState(KILL_SWITCH_KEY);
    if (!raw) return { on: false, source: 'off' };
    try {
      const s = JSON.parse(raw) as KillSwitchState;
      return s.on ? { ...s, source: 'runtime' } : { ...s, on: false, source: 'off' };
    } catch {
      // An unreadable switch is treated as ON: failing safe.
      return { on: true, source: 'runtime', reason: 'kill switch state unreadable: failing safe' };
    }
  }

  /**
   * Executions within the widest rate-limit window, by action id. Loaded from the store once,
   * updated directly by save(), and refreshed incrementally from the store (records updated since
   * the last look) at most every 2 s of wall-clock time, so that executions by another process on
   * the same store (the CLI) count too.
   */
  const widestWindow = Math.max(0, ...policy.limits.map((l) => l.per));
  let ledger: Map<string, { at: number; kind: ActionDoc['kind']; noop: boolean }> | undefined;
  let ledgerSince = 0;
  let ledgerReadAt = 0;
  function ledgerNote(doc: ActionDoc): void {
    if (ledger && doc.executedAt !== undefined && EXECUTED_STATUSES.includes(doc.status)) ledger.set(doc.id, { at: doc.executedAt, kind: doc.kind, noop: doc.before?.inEffect === true });
  }
  async function refreshLedger(t: number): Promise<Map<string, { at: number; kind: ActionDoc['kind']; noop: boolean }>> {
    if (!ledger) {
      ledger = new Map();
      ledgerSince = t - widestWindow;
    }
    if (Date.now() - ledgerReadAt >= 2000 || ledgerReadAt === 0) {
      const recs = await store.listRecords<ActionDoc>('actions', { status: [...EXECUTED_STATUSES], updatedSince: ledgerSince, limit: 1_000_000 });
      for (const r of recs) ledgerNote(r.doc);
      // Overlap a little: records written by another process carry that process's clock.
      ledgerSince = t - 5_000;
      ledgerReadAt = Date.now();
    }
    for (const [id, e] of ledger) if (e.at <= t - widestWindow) ledger.delete(id);
    return ledger;
  }

  /** The first rate limit that one more execution of `doc` would exceed, or undefined. */
  async function rateExceeded(doc: ActionDoc): Promise<string | undefined> {
    const t = now();
    const limits = policy.limits.filter((l) => l.action === doc.kind || (l.action === '*' && doc.kind !== 'notify'));
    if (limits.length === 0) return undefined;
    const led = await refreshLedger(t);
    for (const l of limits) {
      let n = 0;
      for (const [id, e] of led) if (id !== doc.id && !e.noop && e.at > t - l.per && (l.action === '*' ? e.kind !== 'notify' : e.kind === l.action)) n++;
      if (n + 1 > l.max) return `rate limit: at most ${l.max} ${l.action === '*' ? 'actions' : l.action} per ${formatDuration(l.per)} fleet-wide (${n} already)`;
    }
    return undefined;
  }

  function blastOk(doc: ActionDoc): string | undefined {
    // maxAutomaticBlast is checked by the policy for automatic mode; approvals may exceed it.
    return doc.blast.hosts < 0 ? 'invalid blast radius' : undefined;
  }

  // ------------------------------------------------------------------------------- execution

  async function execute(doc: ActionDoc, actor: string): Promise<ActionDoc> {
    if (busy.has(doc.id)) throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${doc.id} is already being worked on`);
    busy.add(doc.id);
    try {
      const conn = connectors.forKind(doc.kind, doc.target);
      if (!conn) return await fail(doc, actor, 'apply', new GarrisonError('RESPOND_NO_CONNECTOR', `no connector is configured for ${doc.kind}${doc.target.type === 'channel' ? ` on channel ${doc.target.channel}` : ''}`));
      doc.connector = conn.name;
      const problem = conn.check?.(doc.kind, doc.target);
      if (problem) return await fail(doc, actor, 'precondition', new GarrisonError('RESPOND_PRECONDITION_FAILED', `${conn.name}: ${problem}`));
      // Preview: read the current state (a dry run against reality).
      let before: boolean | undefined;
      try {
        before = await withRetry(() => conn.observe(doc.kind, doc.target), retry);
      } catch (e) {
        return await fail(doc, actor, 'apply', toGarrisonError(e), 'reading the state before acting failed');
      }
      doc.preview = { at: now(), alreadyInEffect: before === true, connector: conn.name, summary: previewText(doc, before) };
      doc.before = { inEffect: before === true };
      await audit(actor, 'action.preview', doc.id, { incidentId: doc.incidentId, kind: doc.kind, target: doc.target, connector: conn.name, inEffect: before ?? null, summary: doc.preview.summary });
      if (before === true) {
        setStatus(doc, 'completed', actor, 'no-op', 'the effect was already in place before this action: nothing done, and rollback will leave it');
        doc.verifiedAt = now();
        await save(doc);
        await audit(actor, 'action.execute', doc.id, execAudit(doc, 'noop'));
        return doc;
      }
      const call = { actionId: doc.id, idempotencyKey: doc.idempotencyKey, message: doc.why, ttlMs: isReversible(doc.kind) ? (doc.ttlMs ?? policy.ttl.default) : undefined };
      try {
        await withRetry(() => conn.apply(doc.kind, doc.target, call), retry, (n, e, again) => {
          doc.attempts.push({ at: now(), op: 'apply', ok: false, code: e.code, message: e.message.slice(0, 500) });
          log?.warn({ action: doc.id, attempt: n, code: e.code, retry: again }, 'action attempt failed');
        });
      } catch (e) {
        return await fail(doc, actor, 'apply', toGarrisonError(e));
      }
      doc.attempts.push({ at: now(), op: 'apply', ok: true });
      // Verify by reading back.
      let after: boolean | undefined;
      try {
        after = await withRetry(() => conn.observe(doc.kind, doc.target), retry);
      } catch (e) {
        return await fail(doc, actor, 'apply', toGarrisonError(e), 'reading the state back failed');
      }
      if (after === false) return await fail(doc, actor, 'apply', new GarrisonError('RESPOND_VERIFY_FAILED', `${conn.name} accepted ${doc.kind} but the state read back does not show it in effect`));
      doc.verifiedAt = now();
      if (isReversible(doc.kind)) {
        doc.expiresAt = now() + (doc.ttlMs ?? policy.ttl.default);
        setStatus(doc, 'active', actor, 'executed', `in effect and verified; expires ${new Date(doc.expiresAt).toISOString()} unless renewed`);
      } else {
        setStatus(doc, 'completed', actor, 'executed', after === undefined ? 'accepted by the channel' : 'done and verified');
      }
      await save(doc);
      await audit(actor, 'action.execute', doc.id, execAudit(doc, 'ok'));
      log?.info({ action: doc.id, kind: doc.kind, target: targetKey(doc.target), status: doc.status }, 'action executed');
      await markContained(doc, actor);
      return doc;
    } finally {
      busy.delete(doc.id);
    }
  }

  function previewText(doc: ActionDoc, inEffect: boolean | undefined): string {
    const what = `${ACTIONS[doc.kind].title.toLowerCase()}: ${describeTarget(doc.target)}`;
    if (inEffect === true) return `${what} — already in effect, nothing would change`;
    const ttl = isReversible(doc.kind) ? `, for ${formatDuration(doc.ttlMs ?? policy.ttl.default)}` : ', irreversible';
    return `${what} — would change the state (blast radius ${doc.blast.hosts} host(s), ${doc.blast.users} user(s)${doc.blast.addresses ? `, ${doc.blast.addresses} address(es)` : ''})${ttl}`;
  }

  function execAudit(doc: ActionDoc, result: string): Record<string, unknown> {
    return {
      result,
      incidentId: doc.incidentId,
      kind: doc.kind,
      target: doc.target,
      status: doc.status,
      mode: doc.mode,
      why: doc.why,
      evidence: doc.evidence,
      policy: doc.policy,
      approvals: doc.approvals,
      connector: doc.connector ?? null,
      attempts: doc.attempts.length,
      verifiedAt: doc.verifiedAt ?? null,
      expiresAt: doc.expiresAt ?? null,
      failure: doc.failure ?? null,
    };
  }

  async function fail(doc: ActionDoc, actor: string, op: 'apply' | 'revert' | 'precondition', e: GarrisonError, context?: string): Promise<ActionDoc> {
    const message = context ? `${context}: ${e.message}` : e.message;
    doc.failure = { at: now(), code: e.code, message: message.slice(0, 2000), op };
    setStatus(doc, op === 'revert' ? 'rollback_failed' : 'failed', actor, op === 'revert' ? 'rollback failed' : 'failed', `${e.code}: ${message}`);
    await save(doc);
    await audit(actor, op === 'revert' ? 'action.rollback_failed' : 'action.failed', doc.id, execAudit(doc, 'failed'));
    log?.error({ action: doc.id, code: e.code, op, msg: message }, 'action failed');
    return doc;
  }

  async function undo(doc: ActionDoc, actor: string, reason: string, finalStatus: 'rolled_back' | 'expired'): Promise<ActionDoc> {
    if (busy.has(doc.id)) throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${doc.id} is already being worked on`);
    busy.add(doc.id);
    try {
      doc.rollback = { by: actor, at: now(), reason };
      const conn = connectors.forKind(doc.kind, doc.target);
      if (!conn) return await fail(doc, actor, 'revert', new GarrisonError('RESPOND_NO_CONNECTOR', `no connector is configured for ${doc.kind} any more`));
      const call = { actionId: doc.id, idempotencyKey: `${doc.idempotencyKey}:undo:${doc.attempts.filter((a) => a.op === 'revert').length}`, message: reason };
      try {
        await withRetry(() => conn.revert(doc.kind, doc.target, call), retry, (n, e, again) => {
          doc.attempts.push({ at: now(), op: 'revert', ok: false, code: e.code, message: e.message.slice(0, 500) });
          log?.warn({ action: doc.id, attempt: n, code: e.code, retry: again }, 'rollback attempt failed');
        });
      } catch (e) {
        return await fail(doc, actor, 'revert', toGarrisonError(e));
      }
      doc.attempts.push({ at: now(), op: 'revert', ok: true });
      let after: boolean | undefined;
      try {
        after = await withRetry(() => conn.observe(doc.kind, doc.target), retry);
      } catch (e) {
        return await fail(doc, actor, 'revert', toGarrisonError(e), 'reading the state back after rollback failed');
      }
      if (after === true) return await fail(doc, actor, 'revert', new GarrisonError('RESPOND_VERIFY_FAILED', `${conn.name} accepted the rollback but the state read back still shows ${doc.kind} in effect`));
      doc.rollback.verifiedAt = now();
      doc.failure = undefined;
      setStatus(doc, finalStatus, actor, finalStatus === 'expired' ? 'expired' : 'rolled back', reason);
      await save(doc);
      await audit(actor, finalStatus === 'expired' ? 'action.expire' : 'action.rollback', doc.id, { ...execAudit(doc, 'ok'), reason, undo: ACTIONS[doc.kind].undo ?? null });
      return doc;
    } finally {
      busy.delete(doc.id);
    }
  }

  // --------------------------------------------------------------------------------- planning

  /**
   * Open actions (suggested, pending, executing, active) by key: loaded from the store once, then
   * kept up to date by save(). A hit is re-read from the store, so a change made elsewhere (the
   * CLI) is seen; actions are only created by responders.
   */
  let openIndex: Map<string, string> | undefined;
  const OPEN_OR_RUNNING: readonly ActionStatus[] = ['suggested', 'pending_approval', 'executing', 'active'];
  function indexSaved(doc: ActionDoc): void {
    if (!openIndex) return;
    if (OPEN_OR_RUNNING.includes(doc.status)) openIndex.set(doc.key, doc.id);
    else if (openIndex.get(doc.key) === doc.id) openIndex.delete(doc.key);
  }
  async function openFor(key: string): Promise<ActionDoc | undefined> {
    if (!openIndex) {
      openIndex = new Map();
      const recs = await store.listRecords<ActionDoc>('actions', { status: [...OPEN_OR_RUNNING], limit: 1_000_000 });
      for (const r of recs) if (!openIndex.has(r.doc.key)) openIndex.set(r.doc.key, r.id);
    }
    const id = openIndex.get(key);
    if (!id) return undefined;
    const rec = await store.getRecord<ActionDoc>('actions', id);
    if (rec && OPEN_OR_RUNNING.includes(rec.doc.status)) return rec.doc;
    openIndex.delete(key);
    return undefined;
  }

  async function respond(incident: Incident, verdict: IncidentVerdict): Promise<ActionDoc[]> {
    if (closed) throw new GarrisonError('SHUTTING_DOWN', 'the responder is closed');
    const plan = planIncident(incident, verdict, policy, { context });
    const toRun: ActionDoc[] = [];
    const touched: ActionDoc[] = [];
    await mutex.run(async () => {
      await audit(verdict.by.startsWith('user:') ? verdict.by : `system:${verdict.by}`, 'respond.verdict', incident.id, {
        verdict: verdict.verdict,
        confidence: verdict.confidence,
        summary: verdict.summary.slice(0, 1000),
        candidates: plan.actions.length,
        skipped: plan.skipped.slice(0, 50),
        policy: { name: policy.name, version: policy.version, hash: policy.hash },
      });
      if (plan.actions.length === 0) return;
      const ks = await killState();
      const cites = [...new Set(verdict.factors.flatMap((f) => f.cites ?? []))].slice(0, 200);
      const factors = verdict.factors.map((f) => f.factor).slice(0, 50);
      const protectedNetworks = [...policy.protect.networks, ...connectors.protectedNetworks()];
      const protectedAccounts = connectors.protectedAccounts();
      const channels = connectors.channels();
      for (const p of plan.actions) {
        const decision = evaluate(policy, { kind: p.kind, target: p.target, verdict, asset: p.asset, identity: p.identity, entityRole: p.entityRole, blast: p.blast });
        const key = `${p.kind}:${targetKey(p.target)}`;
        const id = actionId(incident.id, key);
        if (decision.mode === 'none') {
          await audit(`policy:${decision.rule}`, 'action.skip', incident.id, { kind: p.kind, target: p.target, rule: decision.rule, reason: decision.reason });
          continue;
        }
        const existing = await store.getRecord<ActionDoc>('actions', id);
        if (existing) {
          // Re-delivered verdict: upgrade a suggestion when the new decision is stronger, else leave it.
          const d = existing.doc;
          if (d.status === 'suggested' && decision.mode !== 'suggest') {
            d.mode = decision.mode;
            d.policy = policyRef(decision);
            d.approvalsRequired = Math.max(decision.approvals, guardedApprovals(p));
            d.verdict = { verdict: verdict.verdict, confidence: verdict.confidence, by: verdict.by, decidedAt: verdict.decidedAt };
            setStatus(d, 'pending_approval', `policy:${decision.rule}`, 'upgraded', decision.reason);
            if (decision.mode === 'automatic') await admitAutomatic(d, decision, ks, toRun);
            else await save(d);
            touched.push(d);
          }
          continue;
        }
        const same = await openFor(key);
        if (same && same.incidentId !== incident.id) {
          if (!same.alsoFor.includes(incident.id) && same.alsoFor.length < 1000) same.alsoFor.push(incident.id);
          same.history.push({ at: now(), by: `policy:${decision.rule}`, what: 'linked', note: `also requested by incident ${incident.id}` });
          await save(same);
          await audit(`policy:${decision.rule}`, 'action.link', same.id, { incidentId: incident.id, reason: `an open action already covers ${key}` });
          touched.push(same);
          continue;
        }
        const t = now();
        const doc: ActionDoc = {
          id,
          tenant: incident.tenant,
          incidentId: incident.id,
          alsoFor: [],
          kind: p.kind,
          target: p.target,
          key,
          status: 'suggested',
          mode: decision.mode,
          why: p.why,
          verdict: { verdict: verdict.verdict, confidence: verdict.confidence, by: verdict.by, decidedAt: verdict.decidedAt },
          evidence: { signalIds: p.signalIds, cites, factors },
          policy: policyRef(decision),
          approvalsRequired: Math.max(decision.approvals, guardedApprovals(p)),
          approvals: [],
          blast: p.blast,
          ttlMs: decision.ttlMs,
          idempotencyKey: `garrison-${id}`,
          attempts: [],
          history: [],
          createdAt: t,
          updatedAt: t,
        };
        const failed = checkPreconditions(p.kind, { target: p.target, asset: p.asset, identity: p.identity, protectedNetworks, protectedAccounts, channels });
        if (failed.length) {
          doc.failure = { at: t, code: 'RESPOND_PRECONDITION_FAILED', message: failed.join('; '), op: 'precondition' };
          setStatus(doc, 'failed', `policy:${decision.rule}`, 'refused', `precondition: ${failed.join('; ')}`);
          await save(doc);
          await audit(`policy:${decision.rule}`, 'action.failed', doc.id, execAudit(doc, 'precondition'));
          touched.push(doc);
          continue;
        }
        if (decision.mode === 'suggest') {
          setStatus(doc, 'suggested', `policy:${decision.rule}`, 'suggested', decision.reason);
          await save(doc);
        } else if (decision.mode === 'approval') {
          setStatus(doc, 'pending_approval', `policy:${decision.rule}`, 'awaiting approval', `${doc.approvalsRequired} approval(s) needed: ${decision.reason}`);
          await save(doc);
        } else {
          await admitAutomatic(doc, decision, ks, toRun);
        }
        await audit(`policy:${decision.rule}`, 'action.propose', doc.id, {
          incidentId: incident.id,
          kind: doc.kind,
          target: doc.target,
          mode: doc.mode,
          status: doc.status,
          why: doc.why,
          evidence: doc.evidence,
          policy: doc.policy,
          guard: decision.guard ?? null,
          blast: doc.blast,
          ttlMs: doc.ttlMs ?? null,
          approvalsRequired: doc.approvalsRequired,
        });
        touched.push(doc);
      }
    });
    // Containment first, notifications last (they can then list what was done).
    toRun.sort((a, b) => Number(a.kind === 'notify') - Number(b.kind === 'notify'));
    for (const doc of toRun) {
      if (doc.kind === 'notify') doc.why = notifyText(incident, verdict, touched);
      await execute(doc, `policy:${doc.policy.rule}`);
    }
    return touched;
  }

  function notifyText(incident: Incident, verdict: IncidentVerdict, actions: ActionDoc[]): string {
    const lines = [`Incident ${incident.id}: ${incident.title}`, `Verdict: ${verdict.verdict} (${Math.round(verdict.confidence * 100)}%) by ${verdict.by}: ${verdict.summary}`, 'Actions:'];
    for (const a of actions.filter((x) => x.kind !== 'notify')) lines.push(`- ${a.kind} ${describeTarget(a.target)}: ${a.status} (${a.mode}, rule ${a.policy.rule})`);
    return lines.join('\n').slice(0, 8000);
  }

  /** Automatic mode: reserve an execution slot, or fall back to approval (kill switch, dry run, rate limit). */
  async function admitAutomatic(doc: ActionDoc, decision: Decision, ks: KillSwitchState, toRun: ActionDoc[]): Promise<void> {
    const by = `policy:${decision.rule}`;
    if (ks.on) {
      doc.mode = 'approval';
      setStatus(doc, 'pending_approval', by, 'held', `kill switch on (${ks.source}): automatic execution stopped; approve once it is off`);
      await save(doc);
      return;
    }
    if (dryRun()) {
      const conn = connectors.forKind(doc.kind, doc.target);
      let inEffect: boolean | undefined;
      try {
        inEffect = conn ? await conn.observe(doc.kind, doc.target) : undefined;
      } catch {
        inEffect = undefined;
      }
      doc.preview = { at: now(), alreadyInEffect: inEffect === true, connector: conn?.name ?? '(none)', summary: previewText(doc, inEffect) };
      setStatus(doc, 'dry_run', by, 'dry run', `would execute automatically: ${doc.preview.summary}`);
      await save(doc);
      return;
    }
    const limited = (await rateExceeded(doc)) ?? blastOk(doc);
    if (limited) {
      doc.mode = 'approval';
      setStatus(doc, 'pending_approval', by, 'held', `${limited}: needs approval`);
      await save(doc);
      return;
    }
    doc.executedAt = now();
    setStatus(doc, 'executing', by, 'executing', decision.reason);
    await save(doc);
    toRun.push(doc);
  }

  // ---------------------------------------------------------------------------- human actions

  async function approve(id: string, by: string, reason: string): Promise<ActionDoc> {
    const who = needActor(by);
    const why = needReason(reason);
    let run: ActionDoc | undefined;
    const doc = await mutex.run(async () => {
      const d = await load(id);
      if (!OPEN_STATUSES.includes(d.status)) throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${id} is ${d.status}: only suggested or pending actions can be approved`);
      if (d.approvals.some((a) => a.by === who)) throw new GarrisonError('RESPOND_APPROVAL_DUPLICATE', `${who} already approved action ${id}; the next approval must come from someone else`);
      const complete = d.approvals.length + 1 >= d.approvalsRequired;
      if (complete && !dryRun()) {
        const ks = await killState();
        if (ks.on) throw new GarrisonError('RESPOND_KILL_SWITCH', `the kill switch is on (${ks.source}${ks.reason ? `: ${ks.reason}` : ''}); nothing executes until it is off`);
        const limited = await rateExceeded(d);
        if (limited) throw new GarrisonError('RESPOND_RATE_LIMITED', `${limited}; approve again later`);
      }
      d.approvals.push({ by: who, at: now(), reason: why });
      await audit(who, 'action.approve', d.id, { incidentId: d.incidentId, kind: d.kind, target: d.target, reason: why, approvals: d.approvals.length, required: d.approvalsRequired });
      if (!complete) {
        setStatus(d, 'pending_approval', who, 'approved', `${d.approvals.length} of ${d.approvalsRequired} approvals: ${why}`);
        return save(d);
      }
      if (dryRun()) {
        setStatus(d, 'dry_run', who, 'approved (dry run)', why);
        return save(d);
      }
      d.executedAt = now();
      setStatus(d, 'executing', who, 'approved', why);
      await save(d);
      run = d;
      return d;
    });
    if (run) return execute(run, who);
    return doc;
  }

  async function reject(id: string, by: string, reason: string): Promise<ActionDoc> {
    const who = needActor(by);
    const why = needReason(reason);
    return mutex.run(async () => {
      const d = await load(id);
      if (!OPEN_STATUSES.includes(d.status)) throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${id} is ${d.status}: only suggested or pending actions can be rejected`);
      d.rejection = { by: who, at: now(), reason: why };
      setStatus(d, 'rejected', who, 'rejected', why);
      await save(d);
      await audit(who, 'action.reject', d.id, { incidentId: d.incidentId, kind: d.kind, target: d.target, reason: why });
      return d;
    });
  }

  async function rollback(id: string, by: string, reason: string): Promise<ActionDoc> {
    const who = needActor(by);
    const why = needReason(reason);
    const d = await mutex.run(async () => {
      const x = await load(id);
      if (!isReversible(x.kind)) throw new GarrisonError('RESPOND_NOT_REVERSIBLE', `${x.kind} cannot be undone`);
      if (x.status === 'completed' && x.before?.inEffect) {
        setStatus(x, 'rolled_back', who, 'rolled back', `${why} (nothing to undo: the effect predates this action and is left in place)`);
        x.rollback = { by: who, at: now(), reason: why, verifiedAt: now() };
        await save(x);
        await audit(who, 'action.rollback', x.id, { ...execAudit(x, 'noop'), reason: why });
        return undefined;
      }
      if (x.status !== 'active' && x.status !== 'rollback_failed' && !(x.status === 'failed' && x.failure?.op === 'apply')) {
        throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${id} is ${x.status}: only active (or failed) actions can be rolled back`);
      }
      return x;
    });
    if (!d) return load(id);
    return undo(d, who, why, 'rolled_back');
  }

  async function renew(id: string, by: string, ttlMs: number): Promise<ActionDoc> {
    const who = needActor(by);
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new GarrisonError('RESPOND_TTL_INVALID', 'the TTL must be a positive number of milliseconds', { location: { field: 'ttlMs' } });
    if (ttlMs > policy.ttl.max) throw new GarrisonError('RESPOND_TTL_INVALID', `the TTL ${formatDuration(ttlMs)} exceeds the policy maximum ${formatDuration(policy.ttl.max)}`, { location: { field: 'ttlMs' } });
    return mutex.run(async () => {
      const d = await load(id);
      if (d.status !== 'active') throw new GarrisonError('RESPOND_STATE_CONFLICT', `action ${id} is ${d.status}: only active actions can be renewed`);
      const prev = d.expiresAt;
      // A connector that set a system-side expiry (nftables element timeout) extends it first.
      const conn = connectors.forKind(d.kind, d.target);
      if (conn?.renew) await withRetry(() => conn.renew!(d.kind, d.target, { actionId: d.id, idempotencyKey: `${d.idempotencyKey}:renew:${now()}`, ttlMs }), retry);
      d.expiresAt = now() + ttlMs;
      d.ttlMs = ttlMs;
      d.history.push({ at: now(), by: who, what: 'renewed', note: `expires ${new Date(d.expiresAt).toISOString()}` });
      await save(d);
      await audit(who, 'action.renew', d.id, { incidentId: d.incidentId, kind: d.kind, target: d.target, previousExpiry: prev ?? null, expiresAt: d.expiresAt, ttlMs });
      return d;
    });
  }

  async function expireDue(): Promise<ActionDoc[]> {
    const t = now();
    const due = (await store.listRecords<ActionDoc>('actions', { status: 'active', limit: 1_000_000 })).map((r) => r.doc).filter((d) => d.expiresAt !== undefined && d.expiresAt <= t && !busy.has(d.id));
    const out: ActionDoc[] = [];
    for (const d of due) {
      try {
        out.push(await undo(d, 'system:expiry', `TTL passed at ${new Date(d.expiresAt!).toISOString()}`, 'expired'));
      } catch (e) {
        log?.error({ action: d.id, err: e }, 'expiry failed');
      }
    }
    return out;
  }

  async function killSwitch(on: boolean, by: string, reason: string): Promise<KillSwitchState> {
    const who = needActor(by);
    const why = needReason(reason);
    return mutex.run(async () => {
      const s: KillSwitchState = { on, source: on ? 'runtime' : 'off', by: who, at: now(), reason: why };
      await store.setState(KILL_SWITCH_KEY, JSON.stringify(s));
      await audit(who, on ? 'response.kill_switch.on' : 'response.kill_switch.off', 'kill-switch', { reason: why, policyKillSwitch: policy.killSwitch });
      return killState();
    });
  }

  async function preview(id: string): Promise<PreviewResult> {
    const d = await load(id);
    const conn = connectors.forKind(d.kind, d.target);
    if (!conn) return { actionId: id, summary: `no connector is configured for ${d.kind}` };
    const inEffect = await withRetry(() => conn.observe(d.kind, d.target), retry);
    return { actionId: id, connector: conn.name, inEffect, summary: previewText(d, inEffect) };
  }

  async function list(q: ActionQuery = {}): Promise<ActionDoc[]> {
    const recs = await store.listRecords<ActionDoc>('actions', { status: q.status, ref: q.incident, tenant: q.tenant, limit: Math.min(q.limit ?? 500, 10_000) });
    return recs.map((r) => r.doc);
  }

  if (opts.expiryIntervalMs && opts.expiryIntervalMs > 0) {
    let running = false;
    timer = setInterval(() => {
      if (running || closed) return;
      running = true;
      expireDue()
        .catch((e) => log?.error({ err: e }, 'expiry loop failed'))
        .finally(() => {
          running = false;
        });
    }, opts.expiryIntervalMs);
    timer.unref();
  }

  const responder: Responder = {
    policy,
    connectors,
    get dryRun() {
      return dryRun();
    },
    async health() {
      return Promise.all(
        connectors.list().map(async (c) => {
          const h = await c.health().catch((e: unknown) => ({ ok: false, detail: (e as Error).message }));
          return { name: c.name, type: c.type, kinds: c.kinds, ok: h.ok, detail: h.detail };
        }),
      );
    },
    respond,
    async onVerdict(incident, verdict) {
      await respond(incident, verdict);
    },
    approve,
    reject,
    rollback,
    renew,
    expireDue,
    killSwitch,
    killSwitchState: killState,
    preview,
    get: async (id) => (await store.getRecord<ActionDoc>('actions', id))?.doc,
    list,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      unregisterResponder(store, responder);
      await mutex.run(async () => undefined);
    },
  };
  // The first responder of a store is the one the API / CLI / expiry use (see current.ts).
  registerResponder(store, responder, false);
  return responder;
}
