import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { computeScorecard, formatScorecard, type ScoredSignal } from './scorecard.js';
import { Simulation } from './simulation.js';
import { loadRules, runRules } from './testing/sigma-subset.js';

describe('scorecard', () => {
  const campaigns = [
    { id: 'a', name: 'x', description: '', steps: [], techniques: ['T1', 'T2'], hosts: [], users: [], indicators: [], firstTime: 1_000, lastTime: 9_000, events: 10 },
    { id: 'b', name: 'y', description: '', steps: [], techniques: ['T2', 'T3'], hosts: [], users: [], indicators: [], firstTime: 5_000, lastTime: 6_000, events: 5 },
  ];
  it('computes detection, time to detect, recall and rates', () => {
    const signals: ScoredSignal[] = [
      { time: 4_000, rule: 'r1', truths: [{ campaign: 'a', step: 2, technique: 'T2' }] },
      { time: 3_000, rule: 'r2', truths: [{ campaign: 'a', step: 1, technique: 'T1' }] },
      { time: 7_000, rule: 'r3', truths: [] },
      { time: 8_000, rule: 'r3', truths: [] },
    ];
    const c = computeScorecard({ campaigns, events: 2_000, attackEvents: 15, signals, incidents: [{ time: 6_000, truths: [{ campaign: 'a', step: 1, technique: 'T1' }] }, { time: 9_000, truths: [], autoClosedBenign: true }], actions: [{ kind: 'isolate', campaign: 'a' }, { kind: 'disable', campaign: undefined }] });
    expect(c.campaignsDetected).toBe(1);
    expect(c.campaigns[0]).toMatchObject({ detected: true, signals: 2, ttdSignalMs: 2_000, ttdIncidentMs: 5_000, techniquesDetected: ['T1', 'T2'], techniquesMissed: [] });
    expect(c.campaigns[1]).toMatchObject({ detected: false, signals: 0, techniquesMissed: ['T2', 'T3'] });
    expect(c.techniqueRecall).toEqual([
      { technique: 'T1', occurrences: 1, detected: 1, recall: 1 },
      { technique: 'T2', occurrences: 2, detected: 1, recall: 0.5 },
      { technique: 'T3', occurrences: 1, detected: 0, recall: 0 },
    ]);
    expect(c.signalsPer1000Events).toBe(2);
    expect(c.benignSignalsPer1000Events).toBe(1);
    expect(c.incidents).toEqual({ total: 2, campaignsWithIncident: 1, benign: 1, autoClosedBenign: 1, autoClosedAttack: 0 });
    expect(c.actions).toEqual({ total: 2, onAttack: 1, onBenign: 1 });
    expect(formatScorecard(c)).toMatch(/campaigns detected: 1\/2/);
  });

  it('scores the shipped rule pack on a short scenario end to end (rules only, no later stages)', () => {
    const sim = new Simulation({ seed: 1, hours: 4 });
    const recs = [...sim.records()];
    const json = recs.filter((r) => typeof r.event !== 'string');
    const rules = loadRules(fileURLToPath(new URL('../../rules/', import.meta.url)));
    const hits = runRules(rules, json.map((r) => r.event as Record<string, unknown>));
    const signals: ScoredSignal[] = [];
    for (const r of rules) for (const i of hits.get(r.id) ?? []) signals.push({ time: json[i].time, rule: r.id, level: r.level, truths: json[i].truth ? [json[i].truth!] : [] });
    const card = computeScorecard({ campaigns: sim.campaigns, events: recs.length, attackEvents: recs.filter((r) => r.truth).length, signals });
    // Compressed into 4 hours, every campaign but f is still caught by rules; f never is.
    expect(card.campaigns.filter((c) => c.detected).map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(card.campaigns.find((c) => c.id === 'f')!.detected).toBe(false);
    for (const c of card.campaigns.filter((x) => x.detected)) expect(c.ttdSignalMs!).toBeGreaterThanOrEqual(0);
  });
});
