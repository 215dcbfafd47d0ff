/**
 * Regression for what only the full evaluation showed (`garrison eval`: a week of background
 * warm-up so the baselines learn, then the scenario): campaigns a, b and e each split in two or
 * three incidents (exfiltration volume anomalies naming an address or the proxy, the sprayed
 * account's sign-in anomalies without the spray's address), a week-old scanner logon whose id was
 * reused attributing the phishing victim's processes to the scanner, and a lone multi-tactic
 * anomaly published as a high-severity incident. The same path as `garrison eval` (HEC-shaped
 * records → parsers → store → engine: Sigma, baselines, intel, correlation), smaller: 20 hosts,
 * 7 days of warm-up; investigation and response off (they do not change the grouping).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runEval, type EvalResult } from '../app/eval.js';
import type { Incident } from '../core/incident.js';
import type { Truth } from '../sim/record.js';

describe('campaign correlation after a week of warm-up (eval path, 20 hosts, seed 1)', () => {
  let r: EvalResult;
  const attackIncidents: { inc: Incident; campaigns: Set<string> }[] = [];
  beforeAll(async () => {
    r = await runEval({
      scenario: 'default',
      seed: 1,
      hosts: 20,
      warmupDays: 7,
      engine: { investigation: { enabled: false }, response: { enabled: false } },
      inspect: async ({ store, truthBySignal }) => {
        for (const rec of await store.listRecords<Incident>('incidents', { limit: 10_000 })) {
          if (rec.doc.mergedInto) continue;
          const campaigns = new Set(rec.doc.signalIds.flatMap((id) => (truthBySignal.get(id) ?? []).map((t: Truth) => t.campaign)));
          if (campaigns.size) attackIncidents.push({ inc: rec.doc, campaigns });
        }
      },
    });
  }, 240_000);

  it('each detected campaign is exactly one incident holding ≥ 90 % of its detected signals', () => {
    const detected = r.scorecard.campaigns.filter((c) => c.detected);
    expect(detected.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    for (const c of detected) {
      expect(c.incidents, `campaign ${c.id}`).toBe(1);
      expect(c.completeness, `campaign ${c.id}`).toBeGreaterThanOrEqual(0.9);
    }
    expect(r.scorecard.incidents!.campaignsInOneIncident).toBe(6);
    expect(r.scorecard.incidents!.mixed).toBe(0);
    expect(r.scorecard.incidents!.purity).toBe(1);
  });

  it('background makes no incident (bound: one low-severity incident per 100 hosts per day)', () => {
    expect(r.scorecard.incidents!.benign).toBe(0);
    expect(r.scorecard.incidents!.reduction).toBeGreaterThan(10);
  });

  it('the exfiltration anomalies sit with their campaign; stale logon sessions attribute nothing', () => {
    const a = attackIncidents.find((x) => x.campaigns.has('a'))!.inc;
    const meta = r.campaigns.find((c) => c.id === 'a')!;
    expect(a.attack.tactics).toContain('TA0010');
    const hosts = a.entities.filter((e) => e.kind === 'host' && e.role !== 'destination').map((e) => e.value);
    // The victim workstation, the database server and the proxy its upload went through — not the
    // vulnerability scanner, whose network logon a week earlier got the same logon id. No campaign
    // involves the scanner.
    expect(hosts).toEqual(expect.arrayContaining(['nw-sql01']));
    for (const { inc } of attackIncidents) {
      expect(inc.entities.map((x) => x.value), inc.title).not.toContain('nw-scan01');
      expect(inc.entities.map((x) => x.value), inc.title).not.toContain('svc_scan');
    }
    expect(a.signalIds.length).toBe(r.scorecard.campaigns.find((c) => c.id === 'a')!.signals);
    expect(meta.techniques).toContain('T1048.002');
    const e = attackIncidents.find((x) => x.campaigns.has('e'))!.inc;
    expect(e.entities.filter((x) => x.kind === 'ip')).toEqual([]);
  });
});
