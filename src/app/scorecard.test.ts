/** The scorecard measures added for the later stages (src/sim/scorecard.ts), on hand-built inputs. */
import { describe, expect, it } from 'vitest';
import { computeScorecard, formatScorecard, type ScoredSignal } from '../sim/scorecard.js';

const camp = (id: string, firstTime: number) => ({ id, name: id, description: '', steps: [{ step: 1, name: 's1', technique: 'T1', tactic: 'x' }, { step: 2, name: 's2', technique: 'T2', tactic: 'x' }], techniques: ['T1', 'T2'], hosts: [], users: [], indicators: [], firstTime, lastTime: firstTime + 10_000, events: 10 });
const t = (campaign: string, step: number) => ({ campaign, step, technique: `T${step}` });

describe('scorecard: detectors, background, incidents, verdicts, containment', () => {
  const signals: ScoredSignal[] = [
    { id: 's1', time: 1_000, rule: 'r1', kind: 'sigma', truths: [t('a', 1)] },
    { id: 's2', time: 2_000, rule: 'baseline.rarity', kind: 'anomaly', truths: [t('a', 2)] },
    { id: 's3', time: 3_000, rule: 'baseline.rarity', kind: 'anomaly', truths: [] },
    { id: 's4', time: 6_000, rule: 'r2', kind: 'sigma', truths: [t('b', 1)] },
    { id: 's5', time: 7_000, rule: 'baseline.volume', kind: 'anomaly', truths: [t('b', 1)] },
    { id: 's6', time: 8_000, rule: 'r3', kind: 'sigma', truths: [] },
  ];
  const card = computeScorecard({
    campaigns: [camp('a', 500), camp('b', 5_000)],
    events: 1_000,
    attackEvents: 20,
    signals,
    hosts: 10,
    days: 2,
    incidents: [
      { id: 'i1', time: 1_500, truths: [t('a', 1), t('a', 2)], signalIds: ['s1', 's2', 's3'], verdict: 'malicious', reachedPerson: false },
      { id: 'i2', time: 6_500, truths: [t('b', 1)], signalIds: ['s4'], verdict: 'suspicious', reachedPerson: true },
      { id: 'i3', time: 7_500, truths: [t('b', 1)], signalIds: ['s5'], verdict: 'malicious' },
      { id: 'i4', time: 8_500, truths: [], signalIds: ['s6'], verdict: 'benign', autoClosedBenign: true, closeReason: 'known admin tool' },
    ],
    actions: [
      { campaign: 'a', kind: 'isolate_host', time: 4_000, state: 'active' },
      { campaign: 'b', kind: 'disable_account', time: 9_000, state: 'pending_approval' },
    ],
  });

  it('scores each detector group and the background rate', () => {
    expect(card.detectors).toEqual([
      { detector: 'baseline.rarity', signals: 2, attackSignals: 1, precision: 0.5, campaigns: ['a'], recall: 0.5 },
      { detector: 'baseline.volume', signals: 1, attackSignals: 1, precision: 1, campaigns: ['b'], recall: 0.5 },
      { detector: 'sigma', signals: 3, attackSignals: 2, precision: 0.667, campaigns: ['a', 'b'], recall: 1 },
    ]);
    expect(card.background).toEqual({ hosts: 10, days: 2, benignSignals: 2, perHostPerDay: 0.1, anomalyPerHostPerDay: 0.05 });
    expect(card.campaigns[0]).toMatchObject({ stepsDetected: [1, 2], stepsMissed: [], signalsByKind: { sigma: 1, anomaly: 1 } });
    expect(card.campaigns[1]).toMatchObject({ stepsDetected: [1], stepsMissed: [2] });
  });

  it('computes reduction, purity and completeness from incident membership', () => {
    // i1 holds 2 signals of a and 1 benign (2/3 pure); i2 and i3 are pure; b is split over two incidents.
    expect(card.incidents).toMatchObject({ total: 4, benign: 1, reduction: 1.5, purity: 0.889, completeness: 0.75, mixed: 0, campaignsInOneIncident: 1, benignPer100HostsPerDay: 5 });
    expect(card.campaigns[0]).toMatchObject({ incidents: 1, completeness: 1, verdict: 'malicious' });
    expect(card.campaigns[1]).toMatchObject({ incidents: 2, completeness: 0.5, verdict: 'malicious' });
  });

  it('reports verdicts and containment', () => {
    expect(card.verdicts).toEqual({
      attackIncidents: 3,
      attackMaliciousOrSuspicious: 3,
      attackClosedBenign: 0,
      benignIncidents: 1,
      benignClosedAsBenign: 1,
      benignClosedShare: 1,
      reachedPerson: 1,
      reachedPersonShare: 0.25,
      benignReasons: [{ reason: 'known admin tool', count: 1 }],
    });
    expect(card.actions).toEqual({ total: 2, onAttack: 2, onBenign: 0, byState: { active: 1, pending_approval: 1 } });
    expect(card.campaigns[0]).toMatchObject({ actions: 1, ttcMs: 3_500 });
    expect(card.campaigns[1]).toMatchObject({ actions: 1, ttcMs: 4_000 });
    const text = formatScorecard(card);
    expect(text).toMatch(/purity 0\.889; completeness 0\.75/);
    expect(text).toMatch(/background incidents closed as benign 1\/1/);
    expect(text).toMatch(/a: 1 action\(s\), time to containment 4s/);
  });
});
