/** The default narrative: built from the ledger and the verdict, every sentence citing its events. */
import type { Incident } from '../../core/incident.js';
import type { Ledger, Narrative, NarrativeClaim } from '../types.js';
import type { ScoredVerdict } from '../verdict/model.js';

export function templateNarrative(incident: Incident, ledger: Ledger, verdict: ScoredVerdict): Narrative {
  const claims: NarrativeClaim[] = [];
  const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
  for (const step of ledger.steps) {
    if (step.status === 'skipped') continue;
    const items = step.evidence.filter((e) => e.facts.kind !== 'intel_none' || step.evidence.length === 1);
    for (const e of items.slice(0, 4)) claims.push({ text: e.title, cites: e.eventIds.slice(0, 5) });
    if (step.status === 'failed' || step.status === 'timeout') claims.push({ text: `Step "${step.title}" ${step.status === 'timeout' ? 'timed out' : 'failed'}${step.note ? `: ${step.note}` : ''}.`, cites: [] });
  }
  const summary =
    `${incident.title}: ${incident.signalIds.length} signals between ${iso(incident.firstSeen)} and ${iso(incident.lastSeen)}. ` +
    `Garrison ran ${ledger.steps.filter((s) => s.status !== 'skipped').length} investigation steps and judged it ${verdict.verdict} ` +
    `(confidence ${verdict.confidence}, score ${verdict.score}). ${verdict.summary}`;
  return { source: 'template', summary, claims };
}
