/**
 * The scorecard against ground truth, for `garrison eval`: given the simulation's campaigns and
 * what the pipeline produced (signals and incidents, each with the ground truth of the events it
 * points at), computes per-campaign detection and time to detect, per-technique recall, signal
 * rates and incident outcomes. Pure and deterministic; eval collects the inputs.
 */
import type { Truth } from './record.js';
import type { CampaignMeta } from './simulation.js';

export interface ScoredSignal {
  /** Simulated time of the signal (time of its triggering event), ms. */
  time: number;
  rule: string;
  level?: string;
  /** Signal id (needed for incident purity and completeness). */
  id?: string;
  /** Detector kind: sigma, sigma_correlation, anomaly, intel. */
  kind?: string;
  /** Ground truth of the evidence events; empty when they are all benign. */
  truths: Truth[];
}

export interface ScoredIncident {
  time: number;
  truths: Truth[];
  /** The system closed it as benign on its own. */
  autoClosedBenign?: boolean;
  id?: string;
  /** Its signals (ids of ScoredSignal): purity and completeness. */
  signalIds?: string[];
  severity?: string;
  /** The automatic verdict, when investigation ran. */
  verdict?: 'malicious' | 'suspicious' | 'benign';
  /** Why it was closed (benign reasons). */
  closeReason?: string;
  /** It waits for a person (status needs_review, or a suspicious verdict). */
  reachedPerson?: boolean;
}

export interface ScoredAction {
  /** Campaign the action's target belongs to, or undefined when it hit a benign entity. */
  campaign?: string;
  kind: string;
  /** Simulated time the action was decided (executed, or queued for approval), ms. */
  time?: number;
  /** 'executed', 'pending_approval', 'suggested', 'failed' ... as the responder reports it. */
  state?: string;
}

export interface CampaignScore {
  id: string;
  name: string;
  detected: boolean;
  signals: number;
  firstAttack: number;
  firstSignal?: number;
  ttdSignalMs?: number;
  firstIncident?: number;
  ttdIncidentMs?: number;
  techniquesDetected: string[];
  techniquesMissed: string[];
  /** Campaign steps (CampaignMeta.steps[].step) at least one signal pointed at, and the others. */
  stepsDetected: number[];
  stepsMissed: number[];
  /** Signals per detector kind pointing at this campaign. */
  signalsByKind: Record<string, number>;
  /** With incidents: how many incidents hold its signals, and the share of its signals in the largest one. */
  incidents?: number;
  completeness?: number;
  /** With verdicts: the strongest verdict of its incidents. */
  verdict?: string;
  /** With actions: containment actions on its entities and time from its first event to the first one. */
  actions?: number;
  firstAction?: number;
  ttcMs?: number;
}

/** Signals of one detector group (a kind, or one baseline model), scored against ground truth. */
export interface DetectorScore {
  /** `sigma`, `sigma_correlation`, `intel`, or `baseline.<model>` for anomalies. */
  detector: string;
  signals: number;
  attackSignals: number;
  /** attackSignals / signals. */
  precision: number;
  /** Campaigns at least one of its signals pointed at. */
  campaigns: string[];
  /** campaigns.length / number of campaigns. */
  recall: number;
}

export interface Scorecard {
  events: number;
  attackEvents: number;
  signals: number;
  attackSignals: number;
  benignSignals: number;
  signalsPer1000Events: number;
  benignSignalsPer1000Events: number;
  campaignsDetected: number;
  campaigns: CampaignScore[];
  /** Per technique: in how many campaigns it occurred and in how many a signal pointed at it. */
  techniqueRecall: { technique: string; occurrences: number; detected: number; recall: number }[];
  incidents?: {
    total: number;
    campaignsWithIncident: number;
    benign: number;
    autoClosedBenign: number;
    autoClosedAttack: number;
    /** Signals per incident (all signals / all incidents). */
    reduction?: number;
    /** Mean over attack incidents of the share of their signals that belong to their main campaign. */
    purity?: number;
    /** Mean over detected campaigns of the share of their signals held by their largest incident. */
    completeness?: number;
    /** Incidents holding signals of two or more campaigns. */
    mixed?: number;
    /** Campaigns whose signals sit in exactly one incident. */
    campaignsInOneIncident?: number;
    /** Benign incidents per 100 hosts per simulated day (needs hosts and days). */
    benignPer100HostsPerDay?: number;
  };
  /** With verdicts (investigation). */
  verdicts?: {
    attackIncidents: number;
    /** Attack incidents judged malicious or suspicious. */
    attackMaliciousOrSuspicious: number;
    attackClosedBenign: number;
    benignIncidents: number;
    benignClosedAsBenign: number;
    benignClosedShare: number;
    /** Incidents that wait for a person, and their share of all incidents. */
    reachedPerson: number;
    reachedPersonShare: number;
    /** Close reasons of the benign incidents closed automatically, with counts. */
    benignReasons: { reason: string; count: number }[];
  };
  actions?: { total: number; onAttack: number; onBenign: number; byState?: Record<string, number> };
  /** Per detector kind and per baseline model: precision and recall. */
  detectors?: DetectorScore[];
  /** Signals not linked to an attack, per reporting host per simulated day (needs hosts and days). */
  background?: { hosts: number; days: number; benignSignals: number; perHostPerDay: number; anomalyPerHostPerDay: number };
}

export interface ScorecardInput {
  campaigns: CampaignMeta[];
  events: number;
  attackEvents: number;
  signals: ScoredSignal[];
  incidents?: ScoredIncident[];
  actions?: ScoredAction[];
  /** Reporting hosts and simulated days that can raise false positives (rates per host per day). */
  hosts?: number;
  days?: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function computeScorecard(input: ScorecardInput): Scorecard {
  const { campaigns, signals } = input;
  const attackSignals = signals.filter((s) => s.truths.length > 0);
  const campaignScores: CampaignScore[] = campaigns.map((c) => {
    const mine = attackSignals.filter((s) => s.truths.some((t) => t.campaign === c.id));
    const firstSignal = mine.length ? Math.min(...mine.map((s) => s.time)) : undefined;
    const inc = (input.incidents ?? []).filter((i) => i.truths.some((t) => t.campaign === c.id));
    const firstIncident = inc.length ? Math.min(...inc.map((i) => i.time)) : undefined;
    const hitTech = new Set(mine.flatMap((s) => s.truths.filter((t) => t.campaign === c.id).map((t) => t.technique)));
    const hitSteps = new Set(mine.flatMap((s) => s.truths.filter((t) => t.campaign === c.id).map((t) => t.step)));
    const steps = [...new Set(c.steps.map((x) => x.step))];
    const signalsByKind: Record<string, number> = {};
    for (const s of mine) signalsByKind[s.kind ?? 'unknown'] = (signalsByKind[s.kind ?? 'unknown'] ?? 0) + 1;
    return {
      id: c.id,
      name: c.name,
      detected: mine.length > 0,
      signals: mine.length,
      firstAttack: c.firstTime,
      firstSignal,
      ttdSignalMs: firstSignal === undefined ? undefined : Math.max(0, firstSignal - c.firstTime),
      firstIncident,
      ttdIncidentMs: firstIncident === undefined ? undefined : Math.max(0, firstIncident - c.firstTime),
      techniquesDetected: c.techniques.filter((t) => hitTech.has(t)),
      techniquesMissed: c.techniques.filter((t) => !hitTech.has(t)),
      stepsDetected: steps.filter((x) => hitSteps.has(x)),
      stepsMissed: steps.filter((x) => !hitSteps.has(x)),
      signalsByKind,
    };
  });
  const tech = new Map<string, { occurrences: number; detected: number }>();
  for (const cs of campaignScores) {
    for (const t of cs.techniquesDetected) {
      const e = tech.get(t) ?? { occurrences: 0, detected: 0 };
      e.occurrences++;
      e.detected++;
      tech.set(t, e);
    }
    for (const t of cs.techniquesMissed) {
      const e = tech.get(t) ?? { occurrences: 0, detected: 0 };
      e.occurrences++;
      tech.set(t, e);
    }
  }
  const per1000 = (n: number): number => (input.events > 0 ? Math.round((n / input.events) * 1000 * 1000) / 1000 : 0);
  const card: Scorecard = {
    events: input.events,
    attackEvents: input.attackEvents,
    signals: signals.length,
    attackSignals: attackSignals.length,
    benignSignals: signals.length - attackSignals.length,
    signalsPer1000Events: per1000(signals.length),
    benignSignalsPer1000Events: per1000(signals.length - attackSignals.length),
    campaignsDetected: campaignScores.filter((c) => c.detected).length,
    campaigns: campaignScores,
    techniqueRecall: [...tech.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([technique, e]) => ({ technique, ...e, recall: e.detected / e.occurrences })),
  };
  if (input.incidents) {
    const inc = input.incidents;
    card.incidents = {
      total: inc.length,
      campaignsWithIncident: campaignScores.filter((c) => c.firstIncident !== undefined).length,
      benign: inc.filter((i) => i.truths.length === 0).length,
      autoClosedBenign: inc.filter((i) => i.truths.length === 0 && i.autoClosedBenign).length,
      autoClosedAttack: inc.filter((i) => i.truths.length > 0 && i.autoClosedBenign).length,
    };
  }
  if (input.actions) {
    card.actions = { total: input.actions.length, onAttack: input.actions.filter((a) => a.campaign).length, onBenign: input.actions.filter((a) => !a.campaign).length };
  }
  extendScorecard(card, input);
  return card;
}

/** The later-stage measures: per-detector precision/recall, background rates, purity, completeness, verdicts, containment. */
function extendScorecard(card: Scorecard, input: ScorecardInput): void {
  const { campaigns, signals } = input;
  const nCampaigns = Math.max(1, campaigns.length);
  // Per detector group (kind; anomalies per model).
  const groups = new Map<string, { signals: number; attack: number; campaigns: Set<string> }>();
  for (const s of signals) {
    const key = s.kind === 'anomaly' ? s.rule : (s.kind ?? 'unknown');
    const g = groups.get(key) ?? { signals: 0, attack: 0, campaigns: new Set<string>() };
    groups.set(key, g);
    g.signals++;
    if (s.truths.length) {
      g.attack++;
      for (const t of s.truths) g.campaigns.add(t.campaign);
    }
  }
  card.detectors = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([detector, g]) => ({ detector, signals: g.signals, attackSignals: g.attack, precision: round3(g.attack / g.signals), campaigns: [...g.campaigns].sort(), recall: round3(g.campaigns.size / nCampaigns) }));
  if (input.hosts && input.days) {
    const benign = signals.filter((s) => s.truths.length === 0);
    const per = (n: number): number => round3(n / input.hosts! / input.days!);
    card.background = { hosts: input.hosts, days: input.days, benignSignals: benign.length, perHostPerDay: per(benign.length), anomalyPerHostPerDay: per(benign.filter((s) => s.kind === 'anomaly').length) };
  }

  const incidents = input.incidents;
  if (incidents && card.incidents) {
    const byId = new Map(signals.filter((s) => s.id).map((s) => [s.id!, s]));
    const campaignOf = (s: ScoredSignal): string | undefined => s.truths[0]?.campaign;
    const withIds = incidents.filter((i) => i.signalIds && i.signalIds.length);
    if (withIds.length) {
      card.incidents.reduction = round3(signals.length / incidents.length);
      const purities: number[] = [];
      let mixed = 0;
      // campaign → incident index → signals of that campaign in it
      const share = new Map<string, Map<number, number>>();
      withIds.forEach((inc, k) => {
        const counts = new Map<string, number>();
        let known = 0;
        for (const id of inc.signalIds!) {
          const s = byId.get(id);
          if (!s) continue;
          known++;
          const c = campaignOf(s);
          if (!c) continue;
          counts.set(c, (counts.get(c) ?? 0) + 1);
          const m = share.get(c) ?? new Map<number, number>();
          share.set(c, m);
          m.set(k, (m.get(k) ?? 0) + 1);
        }
        if (counts.size > 1) mixed++;
        if (counts.size > 0 && known > 0) purities.push(Math.max(...counts.values()) / known);
      });
      const completeness: number[] = [];
      let inOne = 0;
      for (const cs of card.campaigns) {
        const m = share.get(cs.id);
        if (!m || cs.signals === 0) continue;
        cs.incidents = m.size;
        cs.completeness = round3(Math.max(...m.values()) / cs.signals);
        completeness.push(cs.completeness);
        if (m.size === 1) inOne++;
      }
      card.incidents.purity = purities.length ? round3(purities.reduce((a, b) => a + b, 0) / purities.length) : undefined;
      card.incidents.completeness = completeness.length ? round3(completeness.reduce((a, b) => a + b, 0) / completeness.length) : undefined;
      card.incidents.mixed = mixed;
      card.incidents.campaignsInOneIncident = inOne;
    }
    if (input.hosts && input.days) card.incidents.benignPer100HostsPerDay = round3((card.incidents.benign / input.hosts / input.days) * 100);

    if (incidents.some((i) => i.verdict)) {
      const attack = incidents.filter((i) => i.truths.length > 0);
      const benign = incidents.filter((i) => i.truths.length === 0);
      const closedBenign = benign.filter((i) => i.verdict === 'benign' || i.autoClosedBenign);
      const reasons = new Map<string, number>();
      for (const i of closedBenign) reasons.set(i.closeReason ?? '(no reason given)', (reasons.get(i.closeReason ?? '(no reason given)') ?? 0) + 1);
      const person = incidents.filter((i) => i.reachedPerson).length;
      card.verdicts = {
        attackIncidents: attack.length,
        attackMaliciousOrSuspicious: attack.filter((i) => i.verdict === 'malicious' || i.verdict === 'suspicious').length,
        attackClosedBenign: attack.filter((i) => i.verdict === 'benign' || i.autoClosedBenign).length,
        benignIncidents: benign.length,
        benignClosedAsBenign: closedBenign.length,
        benignClosedShare: benign.length ? round3(closedBenign.length / benign.length) : 1,
        reachedPerson: person,
        reachedPersonShare: incidents.length ? round3(person / incidents.length) : 0,
        benignReasons: [...reasons.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([reason, count]) => ({ reason, count })),
      };
      const rank: Record<string, number> = { malicious: 3, suspicious: 2, benign: 1 };
      for (const cs of card.campaigns) {
        const mine = attack.filter((i) => i.truths.some((t) => t.campaign === cs.id) && i.verdict);
        if (mine.length) cs.verdict = mine.map((i) => i.verdict!).sort((a, b) => rank[b] - rank[a])[0];
      }
    }
  }

  if (input.actions && card.actions) {
    if (input.actions.some((a) => a.state !== undefined)) {
      const byState: Record<string, number> = {};
      for (const a of input.actions) byState[a.state ?? 'unknown'] = (byState[a.state ?? 'unknown'] ?? 0) + 1;
      card.actions.byState = byState;
    }
    for (const cs of card.campaigns) {
      const mine = input.actions.filter((a) => a.campaign === cs.id);
      cs.actions = mine.length;
      const times = mine.map((a) => a.time).filter((t): t is number => typeof t === 'number');
      if (times.length) {
        cs.firstAction = Math.min(...times);
        cs.ttcMs = Math.max(0, cs.firstAction - cs.firstAttack);
      }
    }
  }
}

function dur(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A plain-text rendering of the scorecard. */
export function formatScorecard(c: Scorecard): string {
  const out: string[] = [];
  out.push(`campaigns detected: ${c.campaignsDetected}/${c.campaigns.length}`);
  out.push(`${'campaign'.padEnd(28)} ${'detected'.padEnd(9)} ${'signals'.padStart(7)} ${'TTD signal'.padStart(10)} ${'TTD incident'.padStart(12)}  techniques`);
  for (const k of c.campaigns) {
    out.push(`${`${k.id} ${k.name}`.padEnd(28)} ${(k.detected ? 'yes' : 'NO').padEnd(9)} ${String(k.signals).padStart(7)} ${dur(k.ttdSignalMs).padStart(10)} ${dur(k.ttdIncidentMs).padStart(12)}  ${k.techniquesDetected.length}/${k.techniquesDetected.length + k.techniquesMissed.length}${k.techniquesMissed.length ? ` (missed ${k.techniquesMissed.join(', ')})` : ''}`);
  }
  out.push(`signals: ${c.signals} (${c.attackSignals} on attack evidence, ${c.benignSignals} benign); ${c.signalsPer1000Events} per 1,000 events, ${c.benignSignalsPer1000Events} benign per 1,000`);
  out.push('technique recall: ' + c.techniqueRecall.map((t) => `${t.technique} ${t.detected}/${t.occurrences}`).join(', '));
  if (c.background) out.push(`background: ${c.background.benignSignals} signals not linked to an attack over ${c.background.hosts} hosts x ${c.background.days} day(s) = ${c.background.perHostPerDay} per host per day (anomalies ${c.background.anomalyPerHostPerDay})`);
  if (c.detectors?.length) {
    out.push('per detector (precision = signals on attack evidence / signals; recall = campaigns reached / campaigns):');
    for (const d of c.detectors) out.push(`  ${d.detector.padEnd(26)} ${String(d.signals).padStart(6)} signals  precision ${d.precision.toFixed(2)}  recall ${d.campaigns.length}/${c.campaigns.length}${d.campaigns.length ? ` (${d.campaigns.join(',')})` : ''}`);
  }
  if (c.incidents) {
    const i = c.incidents;
    out.push(`incidents: ${i.total} (${i.campaignsWithIncident} campaigns covered, ${i.benign} benign, ${i.autoClosedBenign} benign auto-closed, ${i.autoClosedAttack} attack wrongly auto-closed)`);
    const extra: string[] = [];
    if (i.reduction !== undefined) extra.push(`signals per incident ${i.reduction}`);
    if (i.purity !== undefined) extra.push(`purity ${i.purity}`);
    if (i.completeness !== undefined) extra.push(`completeness ${i.completeness}`);
    if (i.campaignsInOneIncident !== undefined) extra.push(`campaigns in exactly one incident ${i.campaignsInOneIncident}/${c.campaignsDetected}`);
    if (i.mixed !== undefined) extra.push(`incidents mixing campaigns ${i.mixed}`);
    if (i.benignPer100HostsPerDay !== undefined) extra.push(`benign incidents per 100 hosts per day ${i.benignPer100HostsPerDay}`);
    if (extra.length) out.push(`  ${extra.join('; ')}`);
  }
  if (c.verdicts) {
    const v = c.verdicts;
    out.push(`verdicts: attack incidents malicious/suspicious ${v.attackMaliciousOrSuspicious}/${v.attackIncidents} (${v.attackClosedBenign} closed as benign); background incidents closed as benign ${v.benignClosedAsBenign}/${v.benignIncidents} (${Math.round(v.benignClosedShare * 100)}%); reaching a person ${v.reachedPerson} (${Math.round(v.reachedPersonShare * 100)}% of incidents)`);
    for (const r of v.benignReasons.slice(0, 5)) out.push(`  benign: ${r.count} x ${r.reason}`);
  }
  if (c.actions) {
    out.push(`containment actions: ${c.actions.total} (${c.actions.onAttack} on attack entities, ${c.actions.onBenign} on benign)${c.actions.byState ? ' ' + JSON.stringify(c.actions.byState) : ''}`);
    for (const k of c.campaigns) if (k.actions !== undefined) out.push(`  ${k.id}: ${k.actions} action(s), time to containment ${dur(k.ttcMs)}`);
  }
  return out.join('\n');
}
