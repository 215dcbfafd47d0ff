/**
 * The simulator through the product's own parsers (normalize/registry) and Sigma matcher
 * (detect/sigma) with the built-in rule pack: every record parses, campaigns a-e raise rules,
 * campaign f raises none, high/critical rules are silent on benign activity, and the engine agrees
 * record for record with the test-only subset evaluator used by rules.test.ts.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRulePaths } from '../detect/sigma/loader.js';
import { SigmaMatcher } from '../detect/sigma/matcher.js';
import { parseRecord } from '../normalize/registry.js';
import { Simulation } from './simulation.js';
import { SOURCES, type SimRecord } from './record.js';
import { loadRules, runRules } from './testing/sigma-subset.js';

const RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

describe('simulated day through the parsers and the Sigma engine', () => {
  const recs: SimRecord[] = [];
  const engineHits = new Map<string, Set<number>>(); // rule id -> record indexes
  const failures: string[] = [];
  const levels = new Map<string, string>();
  beforeAll(() => {
    const set = loadRulePaths([RULES]);
    const m = new SigmaMatcher(set, { config: { skipStatus: [] } });
    for (const r of m.rules) levels.set(r.id, String(r.level));
    for (const r of new Simulation({ seed: 1, hours: 24 }).records()) {
      const i = recs.length;
      recs.push(r);
      const s = SOURCES[r.source];
      const p = parseRecord({ data: r.event, origin: `sim:${i}`, input: 'sim', tenant: 'test', receivedAt: r.time, format: s.sourcetype, meta: { sourcetype: s.sourcetype, source: s.source, host: r.host, time: r.time / 1000 } });
      if (!p.ok) {
        failures.push(`${r.source}: ${p.error.code} ${p.error.message}`);
        continue;
      }
      for (const d of m.match(p.event)) {
        if (!engineHits.has(d.rule.id)) engineHits.set(d.rule.id, new Set());
        engineHits.get(d.rule.id)!.add(i);
      }
    }
  }, 120_000);

  it('parses every record of every format', () => {
    expect(recs.length).toBeGreaterThan(20_000);
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('detects campaigns a-e, never f; high and critical rules stay silent on benign activity', () => {
    const camps = new Set<string>();
    for (const [id, idx] of engineHits) {
      for (const i of idx) {
        const t = recs[i].truth;
        if (t) camps.add(t.campaign);
        else expect(['high', 'critical']).not.toContain(levels.get(id));
      }
    }
    expect([...camps].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('agrees with the subset evaluator on every base rule, record for record', () => {
    const rules = loadRules(RULES).filter((r) => r.match);
    const json = recs.map((r, i) => [r, i] as const).filter(([r]) => typeof r.event !== 'string');
    const sub = runRules(rules, json.map(([r]) => r.event as Record<string, unknown>));
    for (const r of rules) {
      const mine = new Set((sub.get(r.id) ?? []).map((j) => json[j][1]));
      const engine = engineHits.get(r.id) ?? new Set<number>();
      expect([...engine].sort((a, b) => a - b), r.file).toEqual([...mine].sort((a, b) => a - b));
    }
  });
});
