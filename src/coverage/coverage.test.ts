import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGarrisonError } from '../core/errors.js';
import { computeCoverage, type CoverageOptions, type CoverageReport } from './coverage.js';
import { analyzeGaps } from './gaps.js';
import { NavigatorLayerSchema, toNavigatorLayer } from './navigator.js';
import { renderMarkdown } from './report.js';
import { cloudtrail, tempStore, winlog } from './testing.js';
import { emptyWeights, globMatch, loadWeightsFile } from './weights.js';
import { saveSnapshot, socMetrics } from './metrics.js';

const RULES = fileURLToPath(new URL('./fixtures/rules/', import.meta.url));
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 12);
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

describe('coverage over a store with known telemetry and rules', () => {
  let t: Awaited<ReturnType<typeof tempStore>>;
  const base: CoverageOptions = { builtin: false, rulePaths: [RULES], models: [], until: T0, windowMs: 7 * 24 * H, staleAfterMs: 24 * H };
  let rep: CoverageReport;
  const tech = (r: CoverageReport, id: string) => r.techniques.find((x) => x.id === id)!;
  beforeAll(async () => {
    t = await tempStore();
    const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
    await t.store.appendEvents([
      ...Array.from({ length: 20 }, (_, i) => winlog(SYSMON, 1, { Image: ps, CommandLine: `powershell.exe -File job${i}.ps1`, ParentImage: 'C:\\Windows\\explorer.exe' }, T0 - (i + 1) * H, `WS${i % 4}`)),
      winlog('System', 7045, { ServiceName: 'updsvc', ImagePath: 'C:\\Windows\\Temp\\upd.exe' }, T0 - 72 * H, 'SRV1', 'Service Control Manager'),
      ...Array.from({ length: 5 }, (_, i) => cloudtrail('s3.amazonaws.com', i ? 'GetObject' : 'ListObjects', T0 - (i + 2) * H)),
    ]);
    rep = await computeCoverage(t.store, base);
  });
  afterAll(() => t.cleanup());

  it('covered: the rule has fresh data with its fields, and its tests pass', () => {
    const x = tech(rep, 'T1059.001');
    expect(x.state).toBe('covered');
    expect(x.detectedBy).toBe('rules');
    expect(x.validated).toBe(true);
    expect(x.reason).toMatch(/Test PowerShell Encoded Command' runs on windows\/sysmon\/process_creation .*EventID 1\): 20 events from 4 hosts/);
    expect(x.reason).toContain('tests passed');
  });

  it('covered-but-blind: no events of the telemetry the rule needs', () => {
    const x = tech(rep, 'T1003.001');
    expect(x.state).toBe('covered-but-blind');
    expect(x.detectors[0].health).toBe('no-data');
    expect(x.reason).toMatch(/needs windows\/sysmon\/process_access .*EventID 10\).*no such events in the window/);
  });

  it('covered-but-blind: telemetry stale (last event older than staleAfter)', () => {
    const x = tech(rep, 'T1543.003');
    expect(x.state).toBe('covered-but-blind');
    expect(x.detectors[0].health).toBe('stale');
    expect(x.reason).toContain('System, EventID 7045');
    expect(x.reason).toContain('the last event arrived 2026-11-17T12:00:00Z');
    // a longer staleness tolerance makes the same data healthy
    return computeCoverage(t.store, { ...base, staleAfterMs: 96 * H }).then((r) => expect(tech(r, 'T1543.003').state).toBe('covered'));
  });

  it('covered-but-blind: events arrive but never carry the field the rule reads', () => {
    const x = tech(rep, 'T1082');
    expect(x.state).toBe('covered-but-blind');
    expect(x.detectors[0].health).toBe('fields-missing');
    expect(x.reason).toContain('ImaginaryField');
  });

  it('data-without-detection: S3 data events arrive, nothing detects T1530', () => {
    const x = tech(rep, 'T1530');
    expect(x.state).toBe('data-without-detection');
    expect(x.reason).toMatch(/AWS CloudTrail S3 data events arrived \(5 events/);
  });

  it('data-without-detection names a disabled rule that would cover it', () => {
    const x = tech(rep, 'T1619');
    expect(x.state).toBe('data-without-detection');
    expect(x.reason).toContain("'Test Deprecated S3 Rule' is not enabled (status deprecated)");
  });

  it('uncovered: no rule, no telemetry', () => {
    const x = tech(rep, 'T1200');
    expect(x.state).toBe('uncovered');
    expect(x.detectors).toEqual([]);
    expect(rep.summary.uncovered).toBeGreaterThan(500);
    expect(rep.summary.covered + rep.summary['covered-but-blind'] + rep.summary['data-without-detection'] + rep.summary.uncovered).toBe(rep.summary.techniques);
  });

  it('a baseline model with its data covers a technique (covered by baseline)', async () => {
    const r = await computeCoverage(t.store, { ...base, models: ['volume'] });
    const x = tech(r, 'T1530');
    expect(x.state).toBe('covered');
    expect(x.detectedBy).toBe('baseline');
    expect(x.validated).toBe(false);
    expect(x.reason).toMatch(/^covered by baseline only: baseline model 'volume' reads cloud API activity/);
  });

  it('excluding a source flips the techniques that depended on it to covered-but-blind', async () => {
    const r = await computeCoverage(t.store, { ...base, exclude: [{ product: ['windows'], service: ['sysmon'] }] });
    expect(tech(r, 'T1059.001').state).toBe('covered-but-blind');
    expect(tech(r, 'T1530').state).toBe('data-without-detection');
    expect(r.telemetry.excluded).toBe(20);
  });

  it('exports a Navigator layer that validates against the layer format 4.5', () => {
    const layer = toNavigatorLayer(rep);
    expect(NavigatorLayerSchema.safeParse(JSON.parse(JSON.stringify(layer))).success).toBe(true);
    expect(layer.versions.layer).toBe('4.5');
    expect(layer.domain).toBe('enterprise-attack');
    const row = layer.techniques.find((x) => x.techniqueID === 'T1059.001')!;
    expect(row.score).toBe(100);
    expect(row.metadata).toContainEqual({ name: 'state', value: 'covered' });
    expect(layer.techniques.find((x) => x.techniqueID === 'T1003.001')!.color).toBe('#fc8d59');
    // the schema is not a rubber stamp
    expect(NavigatorLayerSchema.safeParse({ ...layer, versions: { ...layer.versions, layer: '4.4' } }).success).toBe(false);
    expect(NavigatorLayerSchema.safeParse({ ...layer, techniques: [{ techniqueID: 'X1', score: 1 }] }).success).toBe(false);
    expect(NavigatorLayerSchema.safeParse({ ...layer, gradient: { colors: ['red'], minValue: 0, maxValue: 1 } }).success).toBe(false);
  });

  it('ranks gaps by intel weight and criticality, each with a next step', () => {
    const w = emptyWeights();
    w.intel.set('T1530', { weight: 5, sources: ['report'] });
    const gaps = analyzeGaps(rep, { weights: w });
    expect(gaps[0].technique).toBe('T1530');
    // models are switched off here: enabling the volume model is the cheapest step
    expect(gaps[0].next.kind).toBe('enable-rule');
    expect(gaps[0].next.action).toContain("baseline model 'volume'");
    expect(gaps[0].weight.intel).toBe(5);
    const blind = analyzeGaps(rep, { weights: w, includeUnweighted: true });
    expect(blind.find((g) => g.technique === 'T1003.001')!.next.kind).toBe('enable-source');
    expect(blind.find((g) => g.technique === 'T1543.003')!.next.kind).toBe('fix-source');
    expect(blind.find((g) => g.technique === 'T1082')!.next.action).toContain('ImaginaryField');
    expect(blind.find((g) => g.technique === 'T1619')!.next.kind).toBe('enable-rule');
    expect(blind.find((g) => g.technique === 'T1059.001')).toBeUndefined(); // covered and validated
  });

  it('renders a Markdown report with event-derived text made inert', () => {
    const md = renderMarkdown(rep, analyzeGaps(rep, { weights: emptyWeights(), includeUnweighted: true, limit: 5 }));
    expect(md).toContain('| covered-but-blind |');
    expect(md).toContain('T1530');
    expect(md).toContain('MITRE ATT&CK');
  });

  it('keeps coverage snapshots for gaps closed over time', async () => {
    await saveSnapshot(t.store, rep);
    const later = await computeCoverage(t.store, { ...base, staleAfterMs: 96 * H, now: () => T0 + 8 * 86_400_000 });
    await saveSnapshot(t.store, later);
    const m = await socMetrics(t.store, { from: 0, to: T0 + 30 * 86_400_000 });
    expect(m.coverage.snapshots).toBe(2);
    expect(m.coverage.perWeek.reduce((a, w) => a + w.closed, 0)).toBe(1); // T1543.003
  });
});

describe('weights file', () => {
  it('loads techniques and asset globs, and reports problems with file:line', async () => {
    const t = await tempStore();
    try {
      const good = join(t.dir, 'w.yml');
      writeFileSync(good, 'techniques:\n  - { id: t1530, weight: 3, source: r1 }\nassets:\n  - { match: "db*", criticality: 5 }\n');
      const w = loadWeightsFile(good);
      expect(w.intel.get('T1530')?.weight).toBe(3);
      const bad = join(t.dir, 'bad.yml');
      writeFileSync(bad, 'techniques:\n  - { id: T1530 }\n  - { id: nope, weight: 2 }\nassets:\n  - { match: "x", criticality: 9 }\n');
      let err: unknown;
      try {
        loadWeightsFile(bad);
      } catch (e) {
        err = e;
      }
      expect(isGarrisonError(err, 'COVERAGE_WEIGHTS_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/bad\.yml:3: .*techniques\.1\.id/);
      expect((err as Error).message).toMatch(/bad\.yml:5: .*assets\.0\.criticality/);
    } finally {
      await t.cleanup();
    }
  });
  it('globs are linear and case-insensitive', () => {
    expect(globMatch('db*', 'DB01.corp')).toBe(true);
    expect(globMatch('w?1', 'ws1')).toBe(true);
    expect(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(20_000))).toBe(false);
  });
});
