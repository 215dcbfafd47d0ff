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
  /** Ground truth of the evidence events; empty when they are all benign. */
  truths: Truth[];
}

export interface ScoredIncident {
  time: number;
  truths: Truth[];
  /** The system closed it as benign on its own. */
  autoClosedBenign?: boolean;
}

export interface ScoredAction {
  /** Campaign the action's target belongs to, or undefined when it hit a benign entity. */
  campaign?: string;
  kind: string;
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
  incidents?: { total: number; campaignsWithIncident: number; benign: number; autoClosedBenign: number; autoClosedAttack: number };
  actions?: { total: number; onAttack: number; onBenign: number };
}

export function computeScorecard(input: { campaigns: CampaignMeta[]; events: number; attackEvents: number; signals: ScoredSignal[]; incidents?: ScoredIncident[]; actions?: ScoredAction[] }): Scorecard {
  const { campaigns, signals } = input;
  const attackSignals = signals.filter((s) => s.truths.length > 0);
  const campaignScores: CampaignScore[] = campaigns.map((c) => {
    const mine = attackSignals.filter((s) => s.truths.some((t) => t.campaign === c.id));
    const firstSignal = mine.length ? Math.min(...mine.map((s) => s.time)) : undefined;
    const inc = (input.incidents ?? []).filter((i) => i.truths.some((t) => t.campaign === c.id));
    const firstIncident = inc.length ? Math.min(...inc.map((i) => i.time)) : undefined;
    const hitTech = new Set(mine.flatMap((s) => s.truths.filter((t) => t.campaign === c.id).map((t) => t.technique)));
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
  return card;
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
  if (c.incidents) out.push(`incidents: ${c.incidents.total} (${c.incidents.campaignsWithIncident} campaigns covered, ${c.incidents.benign} benign, ${c.incidents.autoClosedBenign} benign auto-closed, ${c.incidents.autoClosedAttack} attack wrongly auto-closed)`);
  if (c.actions) out.push(`containment actions: ${c.actions.total} (${c.actions.onAttack} on attack entities, ${c.actions.onBenign} on benign)`);
  return out.join('\n');
}
