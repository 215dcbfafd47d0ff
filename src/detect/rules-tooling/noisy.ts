/**
 * The noisy-rule report: rules that fire often and whose firings end as benign, each with a
 * proposed exception — the field values most common among its benign firings (and never seen in
 * its malicious ones) turned into a Sigma filter document (draft, status experimental). The draft
 * is loaded back through the Sigma loader and replayed on the stored events of the firings, so the
 * report says how many benign firings it would have removed and confirms it removes no malicious one.
 */
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import type { Incident } from '../../core/incident.js';
import type { Signal } from '../../core/signal.js';
import type { Store } from '../../store/port.js';
import type { SigmaConfigInput } from '../sigma/config.js';
import { loadText, type LoadedSet } from '../sigma/loader.js';
import { SigmaMatcher } from '../sigma/matcher.js';
import { incidentVerdict, type RuleStats } from './stats.js';

export interface ProposedException {
  /** Field -> value pairs of the filter (each a selection; any of them suppresses). */
  selections: { field: string; value: string; benignFirings: number }[];
  /** The Sigma filter document (YAML). */
  yaml: string;
  /** Replay on stored events: benign firings it would suppress, malicious ones it would suppress (must be 0). */
  replay?: { benignChecked: number; benignSuppressed: number; maliciousChecked: number; maliciousSuppressed: number };
}

export interface NoisyRule {
  id: string;
  title: string;
  firings: number;
  benignShare?: number;
  why: string;
  proposal?: ProposedException;
}

export interface NoisyOptions {
  /** Least firings in the window for a rule to be considered (default 10). */
  minFirings?: number;
  /** Least benign share (default 0.7). */
  minBenignShare?: number;
  /** A value must cover at least this share of benign firings to become a selection (default 0.2). */
  minValueShare?: number;
  config?: SigmaConfigInput;
}

function classify(signals: Signal[], incidents: Incident[], feedbackBenign: Set<string>, feedbackBad: Set<string>): Map<string, 'benign' | 'malicious'> {
  const out = new Map<string, 'benign' | 'malicious'>();
  for (const inc of incidents) {
    const v = incidentVerdict(inc);
    if (v !== 'benign' && v !== 'malicious') continue;
    for (const sid of inc.signalIds ?? []) out.set(sid, v);
  }
  for (const s of signals) {
    // feedback is per incident and detector: applies to the rule's signals in that incident
    if (feedbackBad.has(s.id)) out.set(s.id, 'malicious');
    else if (feedbackBenign.has(s.id) && !out.has(s.id)) out.set(s.id, 'benign');
  }
  return out;
}

/** Builds the noisy-rule report from rule statistics and the signals/incidents behind them. */
export async function noisyRules(
  store: Store,
  stats: RuleStats[],
  signals: Signal[],
  loaded: Pick<LoadedSet, 'rules' | 'filters'>,
  opts: NoisyOptions & { from: number; tenant?: string },
): Promise<NoisyRule[]> {
  const minFirings = opts.minFirings ?? 10;
  const minShare = opts.minBenignShare ?? 0.7;
  const minValueShare = opts.minValueShare ?? 0.2;
  const incidents = (await store.listRecords<Incident>('incidents', { tenant: opts.tenant, updatedSince: opts.from, limit: 100_000 })).map((r) => r.doc);
  const feedback = await store.listRecords<{ incidentId: string; verdict: string; detectors: string[] }>('feedback', { tenant: opts.tenant, updatedSince: opts.from, limit: 100_000 });
  const incSignals = new Map(incidents.map((i) => [i.id, new Set(i.signalIds ?? [])]));
  const sigById = new Map(signals.map((s) => [s.id, s]));
  const fbBenign = new Set<string>();
  const fbBad = new Set<string>();
  for (const f of feedback) {
    const ids = incSignals.get(f.doc.incidentId);
    if (!ids) continue;
    for (const sid of ids) {
      const s = sigById.get(sid);
      if (!s || !(f.doc.detectors ?? []).includes(s.detector)) continue;
      (f.doc.verdict === 'benign' ? fbBenign : fbBad).add(sid);
    }
  }
  const verdictOf = classify(signals, incidents, fbBenign, fbBad);
  const out: NoisyRule[] = [];
  for (const st of stats) {
    if (st.firings < minFirings || st.benignShare === undefined || st.benignShare < minShare) continue;
    const rule = loaded.rules.find((r) => r.id === st.id);
    const mine = signals.filter((s) => s.detector === st.id);
    const benign = mine.filter((s) => verdictOf.get(s.id) === 'benign');
    const bad = mine.filter((s) => verdictOf.get(s.id) === 'malicious');
    const noisy: NoisyRule = {
      id: st.id,
      title: st.title,
      firings: st.firings,
      benignShare: st.benignShare,
      why: `${st.firings} firings in the window; ${Math.round(st.benignShare * 100)}% of decided incidents/feedback were benign (${st.benignIncidents} benign incidents, ${st.feedback.benign} benign feedback)`,
    };
    out.push(noisy);
    if (!rule || benign.length === 0 || st.kind !== 'sigma') continue;
    // Candidate values: the fields the rule matched on (details.fields) and the acting process/user.
    const counts = new Map<string, { field: string; value: string; n: number }>();
    const badValues = new Set<string>();
    const valuesOf = (s: Signal): [string, string][] => {
      const xs: [string, string][] = [];
      const f = (s.details?.fields ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(f)) if ((typeof v === 'string' || typeof v === 'number') && String(v).length <= 512) xs.push([k, String(v)]);
      const p = s.entities?.process;
      if (p?.parent?.image && !('ParentImage' in f)) xs.push(['ParentImage', p.parent.image]);
      return xs;
    };
    for (const s of bad) for (const [k, v] of valuesOf(s)) badValues.add(`${k}\u0000${v.toLowerCase()}`);
    for (const s of benign) {
      const seen = new Set<string>();
      for (const [k, v] of valuesOf(s)) {
        const key = `${k}\u0000${v.toLowerCase()}`;
        if (seen.has(key) || badValues.has(key)) continue;
        seen.add(key);
        const c = counts.get(key) ?? { field: k, value: v, n: 0 };
        c.n++;
        counts.set(key, c);
      }
    }
    const picks = [...counts.values()].filter((c) => c.n / benign.length >= minValueShare).sort((a, b) => b.n - a.n || a.field.localeCompare(b.field)).slice(0, 3);
    if (picks.length === 0) continue;
    const sel: Record<string, unknown> = {};
    picks.forEach((p, i) => (sel[`filter_benign_${i + 1}`] = { [p.field]: p.value }));
    const doc = {
      title: `Proposed exception for: ${rule.title}`.slice(0, 256),
      id: randomUUID(),
      status: 'experimental',
      description: `Draft generated by Garrison from ${benign.length} benign firings of rule ${rule.id}; review before enabling. Each selection covers at least ${Math.round(minValueShare * 100)}% of the benign firings and none of the malicious ones.`,
      author: 'Garrison (proposed)',
      date: new Date().toISOString().slice(0, 10),
      logsource: rule.logsource,
      filter: { rules: [rule.id], ...sel, condition: 'not 1 of filter_benign_*' },
    };
    const yaml = stringify(doc, { lineWidth: 0 });
    const proposal: ProposedException = { selections: picks.map((p) => ({ field: p.field, value: p.value, benignFirings: p.n })), yaml };
    noisy.proposal = proposal;
    // Replay the draft on the stored events of the firings.
    const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 0 };
    loadText(yaml, '(proposed exception)', set);
    if (set.filters.length !== 1) continue;
    const withFilter = new SigmaMatcher({ rules: [rule], filters: set.filters }, { config: { skipStatus: [], ...(opts.config ?? {}) } });
    const replay = { benignChecked: 0, benignSuppressed: 0, maliciousChecked: 0, maliciousSuppressed: 0 };
    const check = async (list: Signal[], kind: 'benign' | 'malicious') => {
      const ids = [...new Set(list.slice(0, 500).flatMap((s) => s.eventIds.slice(0, 1)))];
      const events = ids.length ? await store.getEvents(ids, opts.tenant) : [];
      for (const ev of events) {
        const hit = withFilter.match(ev).some((d) => d.rule.id === rule.id);
        if (kind === 'benign') {
          replay.benignChecked++;
          if (!hit) replay.benignSuppressed++;
        } else {
          replay.maliciousChecked++;
          if (!hit) replay.maliciousSuppressed++;
        }
      }
    };
    await check(benign, 'benign');
    await check(bad, 'malicious');
    proposal.replay = replay;
  }
  return out.sort((a, b) => b.firings - a.firings);
}
