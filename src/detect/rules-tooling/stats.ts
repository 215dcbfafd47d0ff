/**
 * Per-rule statistics from live operation: firings (signals in the store), the share of the
 * incidents containing the rule that were closed as benign (by the automatic investigation or by
 * an analyst) plus analyst feedback naming the rule, and the matching cost per event, measured by
 * timing each rule alone (or, for large packs, each log-source group of rules) over a sample of
 * stored events.
 */
import type { GarrisonEvent } from '../../core/event.js';
import type { Feedback, Incident } from '../../core/incident.js';
import type { Level, Signal } from '../../core/signal.js';
import type { Store } from '../../store/port.js';
import type { SigmaConfigInput } from '../sigma/config.js';
import type { LoadedSet } from '../sigma/loader.js';
import { SigmaMatcher } from '../sigma/matcher.js';
import type { SigmaRule } from '../sigma/types.js';

export interface RuleStats {
  id: string;
  title: string;
  level: Level | string;
  kind: string;
  firings: number;
  hosts: number;
  firstFiring?: number;
  lastFiring?: number;
  incidents: number;
  benignIncidents: number;
  maliciousIncidents: number;
  feedback: { benign: number; suspicious: number; malicious: number };
  /** (benign incidents + benign feedback) / (decided incidents + feedback); undefined when nothing was decided. */
  benignShare?: number;
  /** Mean matching cost of this rule per event of the sample, nanoseconds (undefined: not measured). */
  costNsPerEvent?: number;
  /** `rule` when timed alone, `group:<log source>` when timed with its log-source group and split evenly. */
  costMethod?: string;
}

export interface RuleStatsReport {
  window: { from: number; to: number };
  signals: number;
  incidents: number;
  feedback: number;
  sample: { events: number; matcherNsPerEvent?: number };
  rules: RuleStats[];
}

/** Whether an incident ended as benign (analyst verdict wins over the automatic one). */
export function incidentVerdict(i: Incident): 'benign' | 'malicious' | 'suspicious' | undefined {
  const v = i.analystVerdict?.verdict ?? i.verdict?.verdict;
  if (v) return v;
  if (i.status === 'closed' && typeof i.closeReason === 'string' && /^benign\b/i.test(i.closeReason)) return 'benign';
  return undefined;
}

export interface RuleStatsInput {
  store: Store;
  from: number;
  to: number;
  tenant?: string;
  signals: Signal[];
  /** Rules known to the deployment (titles/levels; rules that never fired are listed with 0). */
  rules: { id: string; title: string; level: Level | string; kind: string }[];
  /** For the cost measurement: the loaded rule set and config. */
  loaded?: Pick<LoadedSet, 'rules' | 'filters'>;
  config?: SigmaConfigInput;
  /** Events sampled for cost (default 2,000; 0 = no measurement). */
  sampleSize?: number;
}

export async function computeRuleStats(inp: RuleStatsInput): Promise<RuleStatsReport> {
  const { store } = inp;
  const byId = new Map<string, RuleStats>();
  const get = (id: string, s?: Signal): RuleStats => {
    let r = byId.get(id);
    if (!r) {
      const known = inp.rules.find((x) => x.id === id);
      r = {
        id,
        title: known?.title ?? s?.title ?? id,
        level: known?.level ?? s?.level ?? 'medium',
        kind: known?.kind ?? s?.kind ?? 'sigma',
        firings: 0,
        hosts: 0,
        incidents: 0,
        benignIncidents: 0,
        maliciousIncidents: 0,
        feedback: { benign: 0, suspicious: 0, malicious: 0 },
      };
      byId.set(id, r);
    }
    return r;
  };
  for (const r of inp.rules) get(r.id);
  const hosts = new Map<string, Set<string>>();
  const sigById = new Map<string, Signal>();
  for (const s of inp.signals) {
    sigById.set(s.id, s);
    const r = get(s.detector, s);
    r.firings++;
    r.firstFiring = Math.min(r.firstFiring ?? Infinity, s.time);
    r.lastFiring = Math.max(r.lastFiring ?? -Infinity, s.time);
    const h = s.entities?.host?.toLowerCase();
    if (h) {
      let set = hosts.get(s.detector);
      if (!set) hosts.set(s.detector, (set = new Set()));
      if (set.size < 100_000) set.add(h);
    }
  }
  for (const [id, set] of hosts) get(id).hosts = set.size;

  const incidents = await store.listRecords<Incident>('incidents', { tenant: inp.tenant, updatedSince: inp.from, limit: 100_000 });
  const missing = new Set<string>();
  for (const rec of incidents) for (const sid of rec.doc.signalIds ?? []) if (!sigById.has(sid)) missing.add(sid);
  const getSignals = (store as Partial<{ getSignals: (ids: string[], tenant?: string) => Promise<Signal[]> }>).getSignals;
  if (missing.size && typeof getSignals === 'function') {
    const ids = [...missing];
    for (let i = 0; i < ids.length; i += 10_000) for (const s of await getSignals.call(store, ids.slice(i, i + 10_000), inp.tenant)) sigById.set(s.id, s);
  }
  for (const rec of incidents) {
    const inc = rec.doc;
    if (inc.mergedInto) continue;
    const dets = new Set<string>();
    for (const sid of inc.signalIds ?? []) {
      const s = sigById.get(sid);
      if (s) dets.add(s.detector);
    }
    const v = incidentVerdict(inc);
    for (const d of dets) {
      const r = get(d);
      r.incidents++;
      if (v === 'benign') r.benignIncidents++;
      if (v === 'malicious') r.maliciousIncidents++;
    }
  }
  const feedback = await store.listRecords<Feedback>('feedback', { tenant: inp.tenant, updatedSince: inp.from, limit: 100_000 });
  for (const f of feedback) for (const d of f.doc.detectors ?? []) {
    const r = get(d);
    const v = f.doc.verdict;
    if (v === 'benign' || v === 'suspicious' || v === 'malicious') r.feedback[v]++;
  }
  for (const r of byId.values()) {
    const decided = r.benignIncidents + r.maliciousIncidents + r.feedback.benign + r.feedback.malicious + r.feedback.suspicious;
    if (decided > 0) r.benignShare = (r.benignIncidents + r.feedback.benign) / decided;
  }

  const sample: RuleStatsReport['sample'] = { events: 0 };
  const n = inp.sampleSize ?? 2000;
  if (inp.loaded && n > 0) {
    const events: GarrisonEvent[] = [];
    let cursor: string | undefined;
    while (events.length < n) {
      const page = await store.search('', { from: inp.from, to: inp.to, tenant: inp.tenant, limit: Math.min(5000, n - events.length), cursor, order: 'desc' });
      events.push(...page.events);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    sample.events = events.length;
    if (events.length) {
      const costs = measureCost(inp.loaded, events, inp.config);
      sample.matcherNsPerEvent = costs.all;
      for (const [id, c] of costs.perRule) {
        const r = byId.get(id);
        if (r) {
          r.costNsPerEvent = c.ns;
          r.costMethod = c.method;
        }
      }
    }
  }
  const rules = [...byId.values()].sort((a, b) => b.firings - a.firings || a.id.localeCompare(b.id));
  return { window: { from: inp.from, to: inp.to }, signals: inp.signals.length, incidents: incidents.length, feedback: feedback.length, sample, rules };
}

function timeMatcher(m: SigmaMatcher, events: readonly GarrisonEvent[]): number {
  for (let i = 0; i < Math.min(events.length, 200); i++) m.match(events[i]); // warm-up
  const t0 = process.hrtime.bigint();
  for (const e of events) m.match(e);
  return Number(process.hrtime.bigint() - t0) / events.length;
}

/** Per-rule matching cost (ns per event) over a sample; rules are timed alone up to 300, else per log-source group. */
export function measureCost(set: Pick<LoadedSet, 'rules' | 'filters'>, events: readonly GarrisonEvent[], config?: SigmaConfigInput): { all: number; perRule: Map<string, { ns: number; method: string }> } {
  const cfg: SigmaConfigInput = { skipStatus: [], ...(config ?? {}) };
  const all = timeMatcher(new SigmaMatcher(set, { config: cfg }), events);
  const perRule = new Map<string, { ns: number; method: string }>();
  const rules = set.rules;
  if (rules.length <= 300) {
    for (const r of rules) {
      const m = new SigmaMatcher({ rules: [r], filters: set.filters }, { config: cfg });
      if (m.rules.length) perRule.set(r.id, { ns: timeMatcher(m, events), method: 'rule' });
    }
  } else {
    const groups = new Map<string, SigmaRule[]>();
    for (const r of rules) {
      const k = `${r.logsource.product ?? ''}/${r.logsource.service ?? ''}/${r.logsource.category ?? ''}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    for (const [k, g] of groups) {
      const m = new SigmaMatcher({ rules: g, filters: set.filters }, { config: cfg });
      if (!m.rules.length) continue;
      const ns = timeMatcher(m, events) / m.rules.length;
      for (const r of m.rules) perRule.set(r.id, { ns, method: `group:${k}` });
    }
  }
  return { all, perRule };
}
