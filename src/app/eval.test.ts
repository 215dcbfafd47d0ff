import { describe, expect, it } from 'vitest';
import { formatScorecard } from '../sim/scorecard.js';
import { expectedMinimum, formatEval, runEval } from './eval.js';

describe('garrison eval on a tiny scenario', () => {
  it('runs the whole pipeline, detects the campaigns that have rules, and is deterministic', async () => {
    const opts = { scenario: 'default', seed: 3, hosts: 12, hours: 4, warmupDays: 1 } as const;
    const r = await runEval(opts);
    expect(r).toMatchObject({ garrison: 'eval', version: 1, scenario: 'default', seed: 3 });
    expect(r.organization.hosts).toBeGreaterThanOrEqual(12);
    expect(r.warmup.records).toBeGreaterThan(1000);
    expect(r.window.attackRecords).toBeGreaterThan(100);
    // Every record went through the normalizers and into the store.
    expect(r.ingest.rejected).toBe(0);
    expect(r.ingest.stored).toBe(r.warmup.records + r.window.records);
    expect(r.engine.events).toBe(r.ingest.stored);
    expect(r.engine.errors).toEqual({});
    // The learning period was shortened to the warm-up, and said so.
    expect(r.baselines.learningDays).toBe(1);
    expect(r.baselines.learningMs.rarity).toBe(86_400_000);
    expect(r.baselines.note).toMatch(/shortened to 1 day/);
    expect(r.stages.slice(0, 2)).toEqual(['sigma', 'baselines']);

    const card = r.scorecard;
    expect(card.campaigns.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const detected = card.campaigns.filter((c) => c.detected).map((c) => c.id);
    // a-e have rules (docs/simulation.md); f only baselines can find.
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(detected).toContain(id);
    for (const c of card.campaigns.filter((x) => x.detected)) {
      expect(c.ttdSignalMs).toBeGreaterThanOrEqual(0);
      expect(c.stepsDetected.length).toBeGreaterThan(0);
      expect(c.signals).toBe(Object.values(c.signalsByKind).reduce((a, b) => a + b, 0));
    }
    expect(card.detectors!.find((d) => d.detector === 'sigma')!.precision).toBeGreaterThan(0.8);
    expect(card.background).toMatchObject({ hosts: r.organization.hosts, days: 4 / 24 });
    expect(r.expectation.minCampaignsDetected).toBe(6);
    // The later stages ran: incidents, verdicts and containment are scored.
    expect(r.stages).toEqual(['sigma', 'baselines', 'intel', 'correlation', 'investigation', 'response']);
    expect(card.incidents!.campaignsWithIncident).toBeGreaterThanOrEqual(5);
    expect(card.incidents!.purity).toBeGreaterThan(0.5);
    expect(card.incidents!.completeness).toBeGreaterThan(0);
    expect(card.verdicts!.attackIncidents).toBeGreaterThan(0);
    expect(card.actions).toBeDefined();
    expect(r.incidents!.length).toBe(card.incidents!.total);
    const text = formatEval(r, formatScorecard);
    expect(text).toMatch(/campaigns detected: \d\/6/);
    expect(text).toMatch(/warm-up: 1 day\(s\)/);

    const again = await runEval(opts);
    expect(again.scorecard).toEqual(r.scorecard);
    expect(again.engine.signals).toEqual(r.engine.signals);
  }, 60_000);

  it('knows what each scenario must detect with the stages that run', () => {
    expect(expectedMinimum('default', { sigma: true, baselines: true }).min).toBe(6);
    expect(expectedMinimum('default', { sigma: true, baselines: false }).min).toBe(5);
    expect(expectedMinimum('stolen-key-cloud-theft', { sigma: true, baselines: false }).min).toBe(0);
    expect(expectedMinimum('quiet', { sigma: true, baselines: true }).min).toBe(0);
  });

  it('refuses an unknown scenario and a bad warm-up', async () => {
    await expect(runEval({ scenario: 'nope' })).rejects.toMatchObject({ code: 'SIM_SCENARIO_UNKNOWN' });
    await expect(runEval({ warmupDays: -1 })).rejects.toMatchObject({ code: 'SIM_OPTION_INVALID' });
  });
});
