/**
 * Gap analysis: every technique that is not covered-and-validated, ranked by what matters — how
 * often the scenarios' campaigns use it, threat-intel weights loaded from a file, and the
 * criticality of the assets it was seen on — each with the concrete next step: enable a log source
 * or event id, fix a stale or incomplete source, enable a rule, write a rule, tune a noisy one,
 * or validate an untested detection.
 */
import type { Signal } from '../core/signal.js';
import type { RuleStats } from '../detect/rules-tooling/stats.js';
import type { CoverageReport, TechniqueCoverage } from './coverage.js';
import { campaignPrevalence, criticalityOf, type Weights } from './weights.js';

export type NextStepKind = 'enable-source' | 'fix-source' | 'enable-rule' | 'write-rule' | 'tune-rule' | 'validate';

export interface Gap {
  rank: number;
  technique: string;
  name: string;
  tactics: string[];
  state: TechniqueCoverage['state'] | 'covered-unvalidated' | 'covered-noisy';
  score: number;
  weight: { campaigns: string[]; intel: number; intelSources: string[]; criticality: number; criticalHost?: string };
  next: { kind: NextStepKind; action: string };
  reason: string;
}

const STATE_WEIGHT: Record<Gap['state'], number> = {
  'covered-but-blind': 1.0,
  'data-without-detection': 0.8,
  uncovered: 0.5,
  'covered-noisy': 0.4,
  'covered-unvalidated': 0.3,
  covered: 0,
};

export interface GapOptions {
  weights: Weights;
  /** Signals in the window (hosts each technique was seen on, for criticality). */
  signals?: Signal[];
  /** Rule statistics (noisy covered techniques become tune-rule gaps). */
  ruleStats?: RuleStats[];
  /** Benign share from which a firing rule counts as noisy (default 0.8, with at least 10 firings). */
  noisyShare?: number;
  /** Only gaps with a weight (campaign, intel or criticality) unless true (default false). */
  includeUnweighted?: boolean;
  limit?: number;
}

function nextStep(t: TechniqueCoverage): { kind: NextStepKind; action: string } {
  const disabled = t.detectors.filter((d) => !d.enabled);
  if (t.state === 'covered-but-blind') {
    const d = t.detectors.filter((x) => x.enabled).sort((a, b) => rank(b.health) - rank(a.health))[0];
    if (d?.health === 'stale') return { kind: 'fix-source', action: `restore the collection of ${d.data[0]?.label ?? 'its telemetry'}: the last event arrived ${new Date(d.data[0]?.lastSeen ?? 0).toISOString()}` };
    if (d?.health === 'fields-missing') return { kind: 'fix-source', action: `fix the parser or field mapping of ${d.data[0]?.label}: rule '${d.title}' reads ${d.data[0]?.missingFields.join(', ')}, never present` };
    const labels = [...new Set(t.detectors.filter((x) => x.enabled).flatMap((x) => x.data.map((y) => y.label)))].slice(0, 3);
    const how = t.missingDataSources[0]?.enable;
    return { kind: 'enable-source', action: `collect ${labels.join(' or ')}${how ? ` (${how})` : ''} so that ${t.detectors.filter((x) => x.enabled).map((x) => `'${x.title}'`).slice(0, 3).join(', ')} can run` };
  }
  const rules = disabled.filter((d) => d.kind !== 'model');
  if (rules.length) return { kind: 'enable-rule', action: `enable ${rules.map((d) => `'${d.title}' (${d.disabledReason ?? 'disabled'})`).slice(0, 3).join(', ')}` };
  const models = disabled.filter((d) => d.kind === 'model');
  if (models.length && t.state === 'data-without-detection')
    return { kind: 'enable-rule', action: `enable ${models.map((d) => d.id.replace(/^baseline\./, "baseline model '") + "'").join(', ')} (it reads telemetry that arrives), or write a rule for ${t.id} ${t.name} on ${t.dataSources.map((d) => d.name).join(' / ')}` };
  if (t.state === 'data-without-detection') return { kind: 'write-rule', action: `write a rule for ${t.id} ${t.name} on ${t.dataSources.map((d) => d.name).join(' / ')} (already arriving)` };
  if (t.missingDataSources.length) return { kind: 'enable-source', action: `${t.missingDataSources[0].enable}, then write a rule for ${t.id} ${t.name}` };
  return { kind: 'write-rule', action: `find telemetry that shows ${t.id} ${t.name} and write a rule for it` };
}

function rank(h: string): number {
  return { healthy: 4, degraded: 3, stale: 2, 'fields-missing': 1, 'no-data': 0 }[h] ?? 0;
}

/** Ranks the gaps of a coverage report. */
export function analyzeGaps(r: CoverageReport, opts: GapOptions): Gap[] {
  const prevalence = campaignPrevalence();
  const hostsByTech = new Map<string, Set<string>>();
  for (const s of opts.signals ?? []) {
    const h = s.entities?.host;
    if (!h) continue;
    for (const t of s.attack?.techniques ?? []) {
      let set = hostsByTech.get(t);
      if (!set) hostsByTech.set(t, (set = new Set()));
      if (set.size < 10_000) set.add(h);
    }
  }
  const noisyShare = opts.noisyShare ?? 0.8;
  const noisy = new Map<string, RuleStats>();
  for (const s of opts.ruleStats ?? []) if (s.firings >= 10 && (s.benignShare ?? 0) >= noisyShare) noisy.set(s.id, s);
  const gaps: Gap[] = [];
  for (const t of r.techniques) {
    let state: Gap['state'] = t.state;
    let next: Gap['next'];
    let reason = t.reason;
    if (t.state === 'covered') {
      const nz = t.detectors.filter((d) => d.enabled && noisy.has(d.id));
      if (nz.length) {
        state = 'covered-noisy';
        const s = noisy.get(nz[0].id)!;
        next = { kind: 'tune-rule', action: `tune '${nz[0].title}': ${s.firings} firings, ${Math.round((s.benignShare ?? 0) * 100)}% benign (see garrison rules noisy for the proposed exception)` };
        reason = `covered, but ${nz.map((d) => `'${d.title}'`).join(', ')} is noisy`;
      } else if (!t.validated) {
        state = 'covered-unvalidated';
        next = { kind: 'validate', action: `add positive/negative test events for ${t.detectors.filter((d) => d.enabled && !d.validated).map((d) => `'${d.title}'`).slice(0, 2).join(', ') || 'its detectors'} or replay a campaign (garrison coverage --replay)` };
      } else continue;
    } else next = nextStep(t);
    const camp = prevalence.get(t.id)?.campaigns ?? [];
    const intel = opts.weights.intel.get(t.id);
    const crit = criticalityOf(opts.weights, hostsByTech.get(t.id) ?? []);
    const weighted = camp.length > 0 || (intel?.weight ?? 0) > 0 || crit.criticality > 1;
    if (!weighted && !opts.includeUnweighted) continue;
    const score = STATE_WEIGHT[state] * (1 + camp.length + (intel?.weight ?? 0)) * (1 + 0.25 * (crit.criticality - 1));
    gaps.push({
      rank: 0,
      technique: t.id,
      name: t.name,
      tactics: t.tactics,
      state,
      score: Math.round(score * 1000) / 1000,
      weight: { campaigns: camp, intel: intel?.weight ?? 0, intelSources: intel?.sources ?? [], criticality: crit.criticality, criticalHost: crit.host },
      next,
      reason,
    });
  }
  gaps.sort((a, b) => b.score - a.score || a.technique.localeCompare(b.technique));
  gaps.forEach((g, i) => (g.rank = i + 1));
  return opts.limit ? gaps.slice(0, opts.limit) : gaps;
}
