import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evtxFlat, loadEvtx } from './evtx-bridge.js';
import { loadRulePaths } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import { runRegression, SIGMAHQ_RULE_DIRS } from './regress.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sigmahq = path.resolve(repoRoot, '../shared/corpora/sigmahq');

describe.runIf(existsSync(sigmahq))('SigmaHQ conformance', () => {
  it('loads at least 99.5% of the rules and every rejection says why (file, line, code)', () => {
    const set = loadRulePaths(SIGMAHQ_RULE_DIRS.map((d) => path.join(sigmahq, d)));
    const m = new SigmaMatcher(set, { config: { skipStatus: [] } });
    const rejected = [...set.problems, ...m.problems];
    const total = m.rules.length + set.filters.length + set.correlations.length + rejected.length;
    expect(set.files).toBeGreaterThan(3700);
    expect(m.rules.length / total).toBeGreaterThanOrEqual(0.995);
    for (const p of rejected) {
      expect(p.code).toMatch(/^SIGMA_|^CORRELATION_/);
      expect(p.location?.file).toBeTruthy();
      expect(p.location?.line).toBeGreaterThan(0);
      expect(p.message.length).toBeGreaterThan(10);
    }
  });

  it('passes all 202 regression tests on the JSON samples and on the EVTX samples, and the two agree per sample', async () => {
    const evtx = await loadEvtx();
    const r = await runRegression(sigmahq, { evtxReader: typeof evtx === 'string' ? undefined : evtxFlat });
    expect(r.json.total).toBe(202);
    expect(r.json.failed).toEqual([]);
    expect(r.json.passed).toBe(202);
    if (typeof evtx !== 'string') {
      expect(r.evtx?.failed).toEqual([]);
      expect(r.evtx?.passed).toBe(202);
      // the JSON and EVTX renderings of each sample give the rule the same number of matches
      expect(r.disagreements).toEqual([]);
    }
  });
});
