/**
 * Coverage on a short simulated scenario: the seeded simulator's records go through the parser
 * registry into a real SQLite store; the coverage report must name campaign f's techniques (stolen
 * AWS key pulling S3 data: no rule by design) as covered by baseline only, or as
 * data-without-detection when no model runs; turning off a source flips what depended on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GarrisonEvent } from '../core/event.js';
import { parseRecord } from '../normalize/registry.js';
import { SOURCES } from '../sim/record.js';
import { Simulation } from '../sim/simulation.js';
import { computeCoverage, type CoverageOptions, type CoverageReport } from './coverage.js';
import { analyzeGaps } from './gaps.js';
import { NavigatorLayerSchema, toNavigatorLayer } from './navigator.js';
import { tempStore } from './testing.js';
import { emptyWeights } from './weights.js';

const H = 3_600_000;

describe('coverage on a simulated scenario', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  let sim: Simulation;
  let base: CoverageOptions;
  let rep: CoverageReport;
  const tech = (r: CoverageReport, id: string) => r.techniques.find((x) => x.id === id)!;
  beforeAll(async () => {
    t = await tempStore();
    sim = new Simulation({ seed: 7, hours: 6 });
    let batch: GarrisonEvent[] = [];
    let i = 0;
    for (const r of sim.records()) {
      const s = SOURCES[r.source];
      const p = parseRecord({ data: r.event, origin: `sim:${i++}`, input: 'sim', tenant: 'default', receivedAt: r.time, format: s.sourcetype, meta: { sourcetype: s.sourcetype, source: s.source, host: r.host, time: r.time / 1000 } });
      if (!p.ok) continue;
      batch.push(p.event);
      if (batch.length >= 2000) {
        await t.store.appendEvents(batch);
        batch = [];
      }
    }
    await t.store.appendEvents(batch);
    base = { until: sim.end, windowMs: 6 * H, staleAfterMs: 6 * H };
    rep = await computeCoverage(t.store, base);
  }, 120_000);
  afterAll(() => t.cleanup());

  it("names campaign f's techniques as covered by baseline only (no rule)", () => {
    const f = sim.campaigns.find((c) => c.id === 'f')!;
    expect(f.techniques).toEqual(expect.arrayContaining(['T1530', 'T1619', 'T1078.004']));
    for (const id of f.techniques) {
      const x = tech(rep, id);
      expect(x.detectors.filter((d) => d.kind !== 'model' && d.enabled && d.health === 'healthy')).toEqual([]);
      expect(x.state === 'data-without-detection' || (x.state === 'covered' && x.detectedBy === 'baseline'), `${id}: ${x.state} ${x.reason}`).toBe(true);
    }
    expect(tech(rep, 'T1530').reason).toMatch(/^covered by baseline only/);
  });

  it('without baseline models, campaign f is data-without-detection and the gap says: write a rule on the S3 data events', () => {
    return computeCoverage(t.store, { ...base, models: [] }).then((r) => {
      const x = tech(r, 'T1530');
      expect(x.state).toBe('data-without-detection');
      expect(x.reason).toContain('AWS CloudTrail S3 data events arrived');
      const g = analyzeGaps(r, { weights: emptyWeights() }).find((y) => y.technique === 'T1530')!;
      expect(g.weight.campaigns).toEqual(['f']);
      expect(g.next.kind).toBe('enable-rule');
      expect(g.next.action).toMatch(/enable baseline model '(rarity|volume)'.*or write a rule for T1530 Data from Cloud Storage on AWS CloudTrail S3 data events/);
      expect(NavigatorLayerSchema.safeParse(toNavigatorLayer(r)).success).toBe(true);
    });
  });

  it('campaign techniques with rules on delivered telemetry are covered and validated', () => {
    for (const id of ['T1547.001', 'T1486', 'T1003.001', 'T1569.002']) {
      const x = tech(rep, id);
      expect(x.state, `${id}: ${x.reason}`).toBe('covered');
      expect(x.validated).toBe(true);
    }
  });

  it('turning off Sysmon flips the techniques that depended on it to covered-but-blind', async () => {
    const r = await computeCoverage(t.store, { ...base, exclude: [{ product: ['windows'], service: ['sysmon'] }] });
    // Sysmon-only telemetry: registry (13) and file creation (11)
    expect(tech(r, 'T1547.001').state).toBe('covered-but-blind');
    expect(tech(r, 'T1547.001').reason).toContain('sysmon/registry_set');
    expect(tech(r, 'T1486').state).toBe('covered-but-blind');
    // process creation also arrives as Security 4688: rules fall back to it
    expect(tech(r, 'T1490').state).toBe('covered');
    expect(tech(r, 'T1490').reason).toContain('security/process_creation');
    // consistency: a technique stays covered exactly when a live detector runs on non-Sysmon telemetry
    const usable = (d: { enabled: boolean; health: string }) => d.enabled && (d.health === 'healthy' || d.health === 'degraded');
    for (const x of rep.techniques.filter((y) => y.state === 'covered')) {
      const after = tech(r, x.id);
      const live = after.detectors.some((d) => usable(d) && d.data.every((a) => !a.need.startsWith('sysmon_')));
      expect(after.state, x.id).toBe(live ? 'covered' : 'covered-but-blind');
    }
    // and turning off CloudTrail leaves campaign f with nothing: the models go blind too
    const noCloud = await computeCoverage(t.store, { ...base, exclude: [{ format: ['cloudtrail'] }] });
    expect(tech(noCloud, 'T1619').state).toBe('covered-but-blind');
  });
});
