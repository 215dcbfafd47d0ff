/**
 * The investigator: for each incident, runs the plan's applicable steps in order (each bounded by
 * a timeout and a query budget), stores the ledger as the investigation record, computes the
 * verdict, updates the incident (verdict, status, investigationId, closeReason, revision) and hands
 * malicious incidents to the next stage. Results depend only on the store's content: ids come
 * from content, times in the ledger and verdict are event times.
 */
import { createHash } from 'node:crypto';
import { GarrisonError, toGarrisonError } from '../core/errors.js';
import type { Incident, IncidentStatus } from '../core/incident.js';
import type { IncidentChange, IncidentConsumer, VerdictConsumer } from '../core/stages.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { Store, StoredRecord } from '../store/port.js';
import { loadEvents, loadSignals } from './feedback.js';
import { llmNarrative, type LlmConfig } from './narrative/llm.js';
import { templateNarrative } from './narrative/template.js';
import { loadPlan, stepApplies, type Plan } from './plan.js';
import { STEP_TYPES } from './steps/registry.js';
import type { BaselineLookup, ContextLookup, EvidenceItem, InvestigationDoc, Ledger, StepContext, StepRecord } from './types.js';
import { loadVerdictConfig, verdictConfig, type VerdictConfig, type VerdictConfigInput } from './verdict/config.js';
import { closeReason, judge, type ScoredVerdict } from './verdict/model.js';

export interface InvestigatorConfig {
  /** A loaded plan, or plan files (base first). Default: src/investigate/plans/default.yaml. */
  plan?: Plan | string[];
  /** Verdict weights: an object, or a YAML file path — default: verdict/weights.yaml. */
  verdict?: VerdictConfigInput | VerdictConfig | string;
  /** Optional LLM narrative (off unless given with enabled: true). */
  llm?: LlmConfig;
  /** Update incidents' status from the verdict (default true). */
  updateIncidents?: boolean;
}

export interface InvestigatorOptions {
  store: Store;
  context?: ContextLookup;
  intel?: IntelIndex;
  baselines?: BaselineLookup;
  config?: InvestigatorConfig;
  next?: VerdictConsumer;
  /** Wall clock for record bookkeeping (updatedAt, audit); never enters the ledger or verdict. */
  now?: () => number;
}

export interface InvestigationResult {
  investigation: InvestigationDoc;
  verdict: ScoredVerdict;
  incident: Incident;
}

export interface Investigator extends IncidentConsumer {
  investigate(incidentId: string): Promise<InvestigationResult>;
  /** Waits for queued onIncident work, then refuses new work. */
  close(): Promise<void>;
  readonly plan: Plan;
  readonly verdictConfig: VerdictConfig;
}

class StepAbort extends Error {
  constructor(readonly status: 'timeout' | 'truncated', msg: string) {
    super(msg);
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function inputHashOf(incident: Incident): string {
  return sha([...incident.signalIds].sort().join(',')).slice(0, 32);
}

export function createInvestigator(opts: InvestigatorOptions): Investigator {
  const store = opts.store;
  const cfg = opts.config ?? {};
  const plan: Plan = !cfg.plan ? loadPlan() : Array.isArray(cfg.plan) ? loadPlan(cfg.plan) : cfg.plan;
  const vcfg = typeof cfg.verdict === 'string' ? loadVerdictConfig(cfg.verdict) : verdictConfig(cfg.verdict);
  const now = opts.now ?? Date.now;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();

  async function runStep(step: Plan['steps'][number], base: Omit<StepContext, 'params' | 'search' | 'evidence' | 'truncate'>): Promise<StepRecord> {
    const mod = STEP_TYPES[step.type];
    const rec: StepRecord = { id: step.id, type: step.type, title: step.title ?? mod.description, status: 'ok', queries: 0, results: 0, evidence: [] };
    const collected = new Map<string, EvidenceItem>();
    const notes: string[] = [];
    let aborted: StepAbort | undefined;
    const L = plan.limits;
    const ctx: StepContext = {
      ...base,
      params: step.params,
      async search(text, o = {}) {
        if (aborted) throw aborted;
        if (rec.queries >= L.maxQueriesPerStep) throw new StepAbort('truncated', `query budget of ${L.maxQueriesPerStep} reached`);
        rec.queries++;
        const limit = Math.min(o.limit ?? L.maxEventsPerQuery, L.maxEventsPerQuery);
        const r = await store.search(text, { tenant: base.tenant, from: o.from, to: o.to, limit, order: o.order ?? 'asc' });
        rec.results += r.events.length;
        return { events: r.events, query: r.query, truncated: r.nextCursor !== undefined };
      },
      evidence(e) {
        const eventIds = [...new Set(e.eventIds.filter((x) => typeof x === 'string' && x.length > 0))];
        const id = 'ev-' + sha(JSON.stringify([step.id, e.title, e.query, eventIds])).slice(0, 16);
        const item: EvidenceItem = { id, step: step.id, title: e.title, query: e.query, eventIds, facts: e.facts, ...(e.weight !== undefined ? { weight: e.weight } : {}) };
        if (!collected.has(id)) collected.set(id, item);
        return item;
      },
      truncate(note) {
        notes.push(note);
      },
    };
    const timeoutMs = step.timeoutMs ?? L.stepTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        mod.run(ctx as StepContext & { params: never }),
        new Promise((_, rej) => {
          timer = setTimeout(() => {
            aborted = new StepAbort('timeout', `no result within ${timeoutMs} ms`);
            rej(aborted);
          }, timeoutMs);
        }),
      ]);
      if (notes.length) {
        rec.status = 'truncated';
        rec.note = notes.slice(0, 10).join('; ');
      }
    } catch (e) {
      if (e instanceof StepAbort) {
        rec.status = e.status;
        rec.note = [e.message, ...notes].slice(0, 10).join('; ');
      } else {
        rec.status = 'failed';
        const ge = toGarrisonError(e);
        rec.note = `${ge.code}: ${ge.message}`.slice(0, 500);
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
    rec.evidence = [...collected.values()];
    if (rec.status === 'ok' && rec.evidence.length === 0) rec.status = 'empty';
    return rec;
  }

  async function investigate(incidentId: string): Promise<InvestigationResult> {
    const rec = await store.getRecord<Incident>('incidents', incidentId);
    if (!rec) throw new GarrisonError('INVESTIGATE_NOT_FOUND', `no incident ${incidentId}`, { location: { field: 'id' } });
    const incident = rec.doc;
    const tenant = incident.tenant ?? rec.tenant;
    const signals = await loadSignals(store, incident);
    const signalEvents = await loadEvents(store, signals, tenant);
    const L = plan.limits;
    const window = { from: incident.firstSeen - L.windowBeforeMs, to: incident.lastSeen + L.windowAfterMs + 1 };
    const lookback = { from: window.from - L.lookbackMs, to: window.from };
    const base = { store, incident, signals, signalEvents, window, lookback, context: opts.context, intel: opts.intel, baselines: opts.baselines, tenant };
    const steps: StepRecord[] = [];
    for (const step of plan.steps) {
      if (!stepApplies(step, incident, signals)) {
        steps.push({ id: step.id, type: step.type, title: step.title ?? STEP_TYPES[step.type].description, status: 'skipped', note: 'does not apply to this incident (when)', queries: 0, results: 0, evidence: [] });
        continue;
      }
      steps.push(await runStep(step, base));
    }
    const ledger: Ledger = { incidentId, plan: { name: plan.name, version: plan.version }, window, steps };
    const verdict = judge(ledger, incident, vcfg, incident.lastSeen);
    let narrative = templateNarrative(incident, ledger, verdict);
    if (cfg.llm?.enabled) narrative = await llmNarrative(cfg.llm, incident, ledger, verdict, narrative);
    const cost = { queries: steps.reduce((s, x) => s + x.queries, 0), results: steps.reduce((s, x) => s + x.results, 0), steps: steps.filter((s) => s.status !== 'skipped').length };
    const id = 'inv-' + sha(JSON.stringify([incidentId, ledger, verdict])).slice(0, 24);
    const prevVerdict = incident.verdict?.verdict;
    const doc: InvestigationDoc = {
      id,
      incidentId,
      inputHash: inputHashOf(incident),
      ledger,
      verdict,
      narrative,
      cost,
      ...(prevVerdict && prevVerdict !== verdict.verdict ? { verdictChange: { from: prevVerdict, to: verdict.verdict } } : {}),
    };
    const t = now();
    const existing = await store.getRecord<InvestigationDoc>('investigations', id);
    await store.putRecords<InvestigationDoc>('investigations', [{ id, tenant, status: verdict.verdict, ref: incidentId, createdAt: existing?.createdAt ?? t, updatedAt: t, doc }]);

    // update the incident (re-read: the correlator may have changed it meanwhile)
    const fresh = (await store.getRecord<Incident>('incidents', incidentId)) ?? rec;
    const cur = fresh.doc;
    let status: IncidentStatus = cur.status;
    let reason = cur.closeReason;
    if (cfg.updateIncidents !== false && !cur.analystVerdict) {
      if (verdict.verdict === 'benign') {
        status = 'closed';
        reason = closeReason(verdict);
      } else if (verdict.verdict === 'suspicious') {
        status = cur.status === 'contained' ? cur.status : 'needs_review';
        reason = undefined;
      } else {
        status = cur.status === 'contained' ? cur.status : 'needs_review';
        reason = undefined;
      }
    }
    const updated: Incident = { ...cur, verdict, investigationId: id, status, closeReason: reason, updatedAt: t, revision: (cur.revision ?? 0) + 1 };
    if (reason === undefined) delete updated.closeReason;
    await store.putRecords<Incident>('incidents', [{ ...fresh, status, updatedAt: t, doc: updated } as StoredRecord<Incident>]);
    if (prevVerdict !== verdict.verdict) {
      await store.appendAudit({ time: t, actor: 'system:investigate', action: 'incident.verdict', target: incidentId, doc: { investigation: id, verdict: verdict.verdict, confidence: verdict.confidence, score: verdict.score, from: prevVerdict ?? null, status } });
    }
    // Malicious and suspicious verdicts go to response: its policy decides what runs at once and what
    // waits, prepared, for a person's approval (a suspicious incident is reviewed by a person anyway).
    if (verdict.verdict !== 'benign' && opts.next && !cur.analystVerdict) await opts.next.onVerdict(updated, verdict);
    return { investigation: doc, verdict, incident: updated };
  }

  // Updates of one incident that arrive while its investigation is still queued are coalesced:
  // the queued job reads the incident's latest state when it runs.
  const pending = new Map<string, Promise<void>>();
  async function onIncident(change: IncidentChange): Promise<void> {
    if (closed) throw new GarrisonError('SHUTTING_DOWN', 'the investigator is closed');
    const inc = change.incident;
    // merged away, or closed by a person: nothing to judge. An incident Garrison closed as benign
    // IS re-investigated when its signals change (new evidence may reopen it).
    if (inc.mergedInto || (inc.status === 'closed' && inc.analystVerdict)) return;
    const queued = pending.get(inc.id);
    if (queued) return queued;
    const job = queue.then(async () => {
      pending.delete(inc.id);
      const cur = (await store.getRecord<Incident>('incidents', inc.id))?.doc ?? inc;
      if (cur.mergedInto) return;
      const latest = cur.investigationId ? await store.getRecord<InvestigationDoc>('investigations', cur.investigationId) : undefined;
      if (latest?.doc.inputHash === inputHashOf(cur)) return; // same signals: already investigated
      await investigate(inc.id);
    });
    pending.set(inc.id, job);
    queue = job.catch(() => undefined);
    await job;
  }

  return {
    plan,
    verdictConfig: vcfg,
    investigate,
    onIncident,
    async close() {
      closed = true;
      await queue;
    },
  };
}
