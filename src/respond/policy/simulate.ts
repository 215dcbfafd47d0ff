/**
 * What a policy would have done: replays recorded incidents and their verdicts, in verdict order,
 * through a real responder (the same planner, policy evaluation, hard guards, rate limits, TTLs and
 * expiry) against in-memory connectors on a throw-away store, with the clock set to each verdict's
 * time. Used by `garrison policy test`.
 */
import type { Incident, IncidentVerdict } from '../../core/incident.js';
import { describeTarget } from '../actions/targets.js';
import { MemoryConnector } from '../connectors/memory/memory.js';
import { connectorSet } from '../connectors/port.js';
import { createResponder } from '../executor.js';
import { tempStore } from '../tmpstore.js';
import type { ActionDoc, ActionStatus, ResponseContext } from '../types.js';
import { FORWARD_KINDS } from '../types.js';
import type { ContextSource } from '../context.js';
import type { Policy } from './load.js';

export interface SimulatedIncident {
  incidentId: string;
  title: string;
  verdict: IncidentVerdict['verdict'];
  confidence: number;
  at: number;
  actions: { id: string; kind: string; target: string; mode: string; status: ActionStatus; rule: string; note: string; expiresAt?: number }[];
}

export interface PolicySimulation {
  policy: { name: string; version: string; hash: string };
  incidents: SimulatedIncident[];
  totals: Record<string, number>;
}

export async function simulatePolicy(policy: Policy, items: { incident: Incident; verdict: IncidentVerdict }[], opts: { context?: ResponseContext | ContextSource } = {}): Promise<PolicySimulation> {
  const ts = await tempStore();
  let now = 0;
  try {
    const kinds = FORWARD_KINDS.filter((k) => k !== 'notify');
    const conns = [new MemoryConnector('sim', { kinds }), ...policy.plan.notify.map((ch) => new MemoryConnector(ch, { kinds: ['notify'] }))];
    const r = createResponder({ store: ts.store, policy, connectors: connectorSet(conns), context: opts.context, now: () => now, retry: { sleep: async () => undefined } });
    const sorted = [...items].sort((a, b) => a.verdict.decidedAt - b.verdict.decidedAt);
    const out: SimulatedIncident[] = [];
    for (const { incident, verdict } of sorted) {
      now = Math.max(now, verdict.decidedAt);
      await r.expireDue();
      const acts = await r.respond(incident, verdict);
      out.push({
        incidentId: incident.id,
        title: incident.title,
        verdict: verdict.verdict,
        confidence: verdict.confidence,
        at: verdict.decidedAt,
        actions: acts.map((a: ActionDoc) => ({
          id: a.id,
          kind: a.kind,
          target: describeTarget(a.target),
          mode: a.mode,
          status: a.status,
          rule: a.policy.rule,
          note: a.failure?.message ?? a.history.at(-1)?.note ?? '',
          expiresAt: a.expiresAt,
        })),
      });
    }
    await r.close();
    const totals: Record<string, number> = {};
    for (const i of out) for (const a of i.actions) totals[a.status] = (totals[a.status] ?? 0) + 1;
    return { policy: { name: policy.name, version: policy.version, hash: policy.hash }, incidents: out, totals };
  } finally {
    await ts.cleanup();
  }
}
