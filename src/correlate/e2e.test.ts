/**
 * End to end on simulated scenarios: records → the product's parsers → Sigma + baseline stages →
 * the correlator (events and signals), scored against the simulator's ground truth with the eval
 * scorecard. Each detected campaign becomes exactly one incident holding ≥ 90 % of its detected
 * signals, no incident mixes campaigns, and background activity stays under one low-severity
 * incident per 100 hosts per simulated day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulated, type SimRunResult } from './testing/simrun.js';

describe('campaign correlation on a simulated day (seed 1, 48 hosts, campaigns a-f)', () => {
  let r: SimRunResult;
  beforeAll(async () => {
    r = await runSimulated({ seed: 1, hours: 24 });
  }, 180_000);
  afterAll(async () => r?.cleanup());

  it('each detected campaign becomes exactly one incident with ≥ 90 % of its detected signals', () => {
    const detected = r.card.campaigns.filter((c) => c.detected);
    expect(detected.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const c of detected) {
      expect(c.incidents, `campaign ${c.id}`).toBe(1);
      expect(c.completeness, `campaign ${c.id}`).toBeGreaterThanOrEqual(0.9);
    }
    expect(r.card.incidents!.campaignsInOneIncident).toBe(5);
  });

  it('no two campaigns share an incident; incidents are pure', () => {
    expect(r.card.incidents!.mixed).toBe(0);
    expect(r.card.incidents!.purity).toBe(1);
    for (const i of r.incidents) {
      const camps = new Set(i.signalIds.flatMap((id) => (r.truthOf.get(id) ?? []).map((t) => t.campaign)));
      expect(camps.size, i.title).toBeLessThanOrEqual(1);
    }
  });

  it('background activity: at most one low-severity incident per 100 hosts per day, none above low', () => {
    const benign = r.incidents.filter((i) => i.signalIds.every((id) => (r.truthOf.get(id) ?? []).length === 0));
    const hostsDays = (r.sim.org.hosts.length / 100) * 1;
    expect(benign.length).toBeLessThanOrEqual(Math.floor(hostsDays) || 0);
    for (const b of benign) expect(['informational', 'low']).toContain(b.severity);
    expect(r.card.incidents!.benignPer100HostsPerDay).toBeLessThanOrEqual(1);
  });

  it('reduces signals to incidents and tells the story (stages in order, lateral movement across hosts)', () => {
    expect(r.card.incidents!.reduction).toBeGreaterThan(5);
    const a = r.incidents.find((i) => i.signalIds.some((id) => r.truthOf.get(id)?.[0]?.campaign === 'a'))!;
    const meta = r.sim.campaigns.find((c) => c.id === 'a')!;
    const hosts = a.entities.filter((e) => e.kind === 'host').map((e) => e.display);
    expect(hosts).toEqual(expect.arrayContaining(meta.hosts));
    expect(a.severity).toBe('critical');
    expect(a.attack.tactics).toEqual(expect.arrayContaining(['TA0001', 'TA0002', 'TA0003', 'TA0006', 'TA0008', 'TA0009']));
    expect(a.stages[0].tactic).toBe('TA0001');
    for (let k = 1; k < a.stages.length; k++) expect(a.stages[k].first).toBeGreaterThanOrEqual(a.stages[k - 1].first);
    expect(a.scoring.map((f) => f.factor)).toEqual(expect.arrayContaining(['tactic_progression', 'crown_jewel', 'asset_criticality']));
    expect(a.title).toMatch(/^Initial Access → .* on /);
    // Campaign c: the ransomware operator's RDP source workstation is found through the logon id.
    const c = r.incidents.find((i) => i.signalIds.some((id) => r.truthOf.get(id)?.[0]?.campaign === 'c'))!;
    const src = c.entities.find((e) => e.kind === 'host' && e.role === 'source');
    expect(src?.display).toBe(r.sim.campaigns.find((x) => x.id === 'c')!.hosts.find((h) => h !== 'NW-FS01'));
  });
});

describe('background only (quiet scenario, 200 hosts, 24 h)', () => {
  it('raises no incident above low severity and at most one low one per 100 hosts', async () => {
    const r = await runSimulated({ seed: 7, hours: 24, scenario: 'quiet', hosts: 200 });
    try {
      const above = r.incidents.filter((i) => !['informational', 'low'].includes(i.severity));
      expect(above.map((i) => i.title)).toEqual([]);
      expect(r.incidents.length).toBeLessThanOrEqual(2);
    } finally {
      await r.cleanup();
    }
  }, 300_000);
});
