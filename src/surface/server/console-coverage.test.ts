/**
 * The console's coverage heat map and Navigator layer reader (console/src/coverage.ts, layer.ts):
 * the server's own layer reads back clean, hostile or malformed layers are refused with every
 * problem and its path, colours are only ever hex, and the matrix places techniques by tactic.
 */
import { describe, expect, it } from 'vitest';
import { bestOf, buildMatrix, coverageMatrix, gradientColor, inkFor, STYLES, type CoverageReportView } from '../../../console/src/coverage.js';
import { layerMatrix, parseLayer } from '../../../console/src/layer.js';
import { STATE_STYLE, toNavigatorLayer } from '../../coverage/navigator.js';
import type { CoverageReport } from '../../coverage/coverage.js';

const tech = (id: string, name: string, tactics: string[], state: CoverageReport['techniques'][number]['state'], extra: Partial<CoverageReport['techniques'][number]> = {}): CoverageReport['techniques'][number] => ({
  id,
  name,
  tactics,
  state,
  validated: false,
  reason: `${id} is ${state}`,
  detectors: [],
  dataSources: [],
  missingDataSources: [],
  ...extra,
});

function report(): CoverageReport {
  const techniques = [
    tech('T1059', 'Command and Scripting Interpreter', ['execution'], 'uncovered'),
    tech('T1059.001', 'PowerShell', ['execution'], 'covered', { detectedBy: 'rules', validated: true }),
    tech('T1059.003', 'Windows Command Shell', ['execution'], 'covered-but-blind'),
    tech('T1078', 'Valid Accounts', ['defense-evasion', 'persistence', 'privilege-escalation', 'initial-access'], 'covered', { detectedBy: 'baseline' }),
    tech('T1046', 'Network Service Discovery', ['discovery'], 'data-without-detection'),
  ];
  const zero = { covered: 0, 'covered-but-blind': 0, 'data-without-detection': 0, uncovered: 0 };
  return {
    generatedAt: Date.UTC(2026, 10, 27),
    window: { from: Date.UTC(2026, 10, 20), to: Date.UTC(2026, 10, 27), staleAfterMs: 86_400_000 },
    attack: { version: '18.1', source: 'MITRE ATT&CK v18.1 (test)' },
    summary: { ...zero, covered: 2, 'covered-but-blind': 1, 'data-without-detection': 1, uncovered: 1, techniques: 5, validated: 1, byTactic: {} },
    techniques,
    unknownTechniques: [],
    rules: { loaded: 0, enabled: 0, correlations: 0, problems: [], dirs: [] },
    models: [],
    telemetry: { scanned: 0, excluded: 0, truncated: false, exclude: [], sources: [], needs: [], staleHosts: [], queries: [] },
  };
}

const layerOf = (o: Record<string, unknown>) => JSON.stringify({ name: 'x', versions: { attack: '18', navigator: '5.1.0', layer: '4.5' }, domain: 'enterprise-attack', techniques: [], ...o });

describe('console coverage heat map', () => {
  it('uses the same colours and scores as the server layer', () => {
    for (const [k, v] of Object.entries(STATE_STYLE)) expect(STYLES[k as keyof typeof STYLES]).toEqual(v);
  });

  it('places techniques in tactic columns in kill-chain order with their sub-techniques', () => {
    const cols = coverageMatrix(report() as unknown as CoverageReportView);
    expect(cols.map((c) => c.tactic)).toEqual(['initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion', 'discovery']);
    const exec = cols.find((c) => c.tactic === 'execution')!;
    expect(exec.cells.map((c) => c.id)).toEqual(['T1059']);
    expect(exec.cells[0].color).toBeUndefined();
    expect(exec.cells[0].subs.map((s) => [s.id, s.color])).toEqual([
      ['T1059.001', STATE_STYLE.validated.color],
      ['T1059.003', STATE_STYLE.blind.color],
    ]);
    expect(bestOf(exec.cells[0]).id).toBe('T1059.001');
    expect(cols.find((c) => c.tactic === 'persistence')!.cells[0]).toMatchObject({ id: 'T1078', color: STATE_STYLE.baseline.color, styleKey: 'baseline' });
    expect(cols.find((c) => c.tactic === 'discovery')!.cells[0].styleKey).toBe('dataOnly');
  });

  it('mixes gradient colours and picks a readable ink', () => {
    const g = { colors: ['#ffffff', '#fee08b', '#1a9850'], minValue: 0, maxValue: 100 };
    expect(gradientColor(0, g)).toBe('#ffffff');
    expect(gradientColor(50, g)).toBe('#fee08b');
    expect(gradientColor(100, g)).toBe('#1a9850');
    expect(gradientColor(1000, g)).toBe('#1a9850');
    expect(inkFor('#1a9850')).toBe('#ffffff');
    expect(inkFor('#fee08b')).toBe('#1b1f24');
    expect(inkFor('red;background:url(x)')).toBe('#1b1f24');
  });
});

describe('console Navigator layer reader', () => {
  it("reads the server's own layer (format 4.5) without a problem or warning and paints it on the matrix", () => {
    const r = report();
    const layer = toNavigatorLayer(r);
    const check = parseLayer(JSON.stringify(layer));
    expect(check.problems).toEqual([]);
    expect(check.warnings).toEqual([]);
    expect(check.layer!.techniques).toHaveLength(5);
    expect(check.layer!.legendItems.map((l) => l.color)).toEqual(Object.values(STATE_STYLE).map((s) => s.color));
    const { columns, unplaced } = layerMatrix(check.layer!, r.techniques);
    expect(unplaced).toEqual([]);
    const exec = columns.find((c) => c.tactic === 'execution')!.cells[0];
    expect(exec.subs.find((s) => s.id === 'T1059.001')!.color).toBe(STATE_STYLE.validated.color);
    expect(check.layer!.techniques.find((t) => t.techniqueID === 'T1059.003')!.comment).toBe('T1059.003 is covered-but-blind');
  });

  it('refuses what is not a layer, naming each problem and where', () => {
    expect(parseLayer('not json').problems[0]).toMatch(/^\(file\): not JSON/);
    expect(parseLayer('[1,2]').problems).toEqual(['(root): a layer is a JSON object']);
    const p = parseLayer(
      JSON.stringify({
        name: 7,
        versions: { layer: '3.0' },
        domain: 'mobile-attack',
        gradient: { colors: ['#fff'], minValue: 'a' },
        legendItems: [{ label: 'x', color: 'red' }],
        techniques: [
          { techniqueID: 'T1059', color: 'red;background:url(http://evil.example/x)' },
          { techniqueID: '<script>alert(1)</script>' },
          { techniqueID: 'T1078', tactic: 'Defense Evasion', score: 'high', enabled: 'yes', metadata: [{ name: 'a' }], links: 'http://x' },
          'T1046',
        ],
      }),
    ).problems;
    expect(p).toEqual(
      expect.arrayContaining([
        'name: must be a string, not 7',
        expect.stringMatching(/^versions\.layer: layer format "3\.0" is not supported/),
        'domain: mobile-attack layers cannot be shown on the Enterprise matrix',
        'gradient.colors: must be a list of at least 2 hex colours',
        'gradient.minValue: must be a number, not "a"',
        'gradient.maxValue: is required',
        'legendItems[0].color: must be a hex colour (#rrggbb), not "red"',
        expect.stringMatching(/^techniques\[0\]\.color: must be a hex colour \(#rrggbb or ""\), not "red;background/),
        expect.stringMatching(/^techniques\[1\]\.techniqueID: "<script>alert\(1\)<\/script>" is not a technique id/),
        'techniques[2].tactic: "Defense Evasion" is not a tactic shortname (lower case and dashes)',
        'techniques[2].score: must be a number, not "high"',
        'techniques[2].enabled: must be true or false, not "yes"',
        'techniques[2].metadata[0].value: is required',
        'techniques[2].links: must be a list',
        'techniques[3]: must be an object',
      ]),
    );
    expect(parseLayer(layerOf({ techniques: 5 })).problems).toEqual(['techniques: must be a list']);
    expect(parseLayer(JSON.stringify({ name: 'x', domain: 'enterprise-attack', techniques: [] })).problems).toEqual(['versions: is required ({attack, navigator, layer: "4.5"})']);
  });

  it('caps the problem list and accepts older 4.x formats and unknown fields with a warning', () => {
    const many = parseLayer(layerOf({ techniques: Array.from({ length: 300 }, () => ({ techniqueID: 'nope' })) })).problems;
    expect(many).toHaveLength(101);
    expect(many[100]).toBe('… and 200 more problem(s)');
    const ok = parseLayer(layerOf({ versions: { layer: '4.3' }, viewMode: 1, techniques: [{ techniqueID: 'T1059', aggregateScore: 3 }, { techniqueID: 'T1059' }] }));
    expect(ok.problems).toEqual([]);
    expect(ok.warnings).toEqual([
      '"viewMode" is not a field of the layer format 4.5: ignored',
      'layer format 4.3: read as 4.5 (the fields are compatible)',
      'technique field(s) "aggregateScore" are not in the layer format 4.5: ignored',
      '1 technique entry repeats an earlier one (same technique and tactic): the last one is shown',
    ]);
  });

  it('keeps hostile text as inert strings, links as text, and does not pollute prototypes', () => {
    const payload = '<img src=x onerror=alert(1)>';
    const text = `{"name":"${'<svg onload=alert(1)>'}","versions":{"layer":"4.5"},"domain":"enterprise-attack","__proto__":{"polluted":1},"techniques":[{"techniqueID":"T1059","comment":"${payload}","links":[{"label":"click","url":"javascript:alert(1)"}],"metadata":[{"name":"${payload}","value":"${payload}"},{"divider":true}],"__proto__":{"x":1}}]}`;
    const r = parseLayer(text);
    expect(r.problems).toEqual([]);
    expect(r.layer!.name).toBe('<svg onload=alert(1)>');
    const t = r.layer!.techniques[0];
    expect(t.comment).toBe(payload);
    expect(t.links).toEqual([{ label: 'click', url: 'javascript:alert(1)' }]);
    expect(t.metadata).toEqual([{ name: payload, value: payload }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(t).sort()).toEqual(['color', 'comment', 'enabled', 'links', 'metadata', 'score', 'tactic', 'techniqueID']);
  });

  it('places entries by tactic, scores through the gradient, and lists techniques outside the table', () => {
    const cat = [
      { id: 'T1078', name: 'Valid Accounts', tactics: ['persistence', 'initial-access'] },
      { id: 'T1059', name: 'Command and Scripting Interpreter', tactics: ['execution'] },
    ];
    const r = parseLayer(
      layerOf({
        gradient: { colors: ['#000000', '#ffffff'], minValue: 0, maxValue: 10 },
        techniques: [
          { techniqueID: 'T1078', tactic: 'persistence', color: '#ff0000' },
          { techniqueID: 'T1059', score: 5 },
          { techniqueID: 'T1059', tactic: 'execution', score: 10, enabled: false },
          { techniqueID: 'T9999' },
        ],
      }),
    );
    const { columns, unplaced } = layerMatrix(r.layer!, cat);
    const cell = (tactic: string, id: string) => columns.find((c) => c.tactic === tactic)!.cells.find((c) => c.id === id)!;
    expect(cell('persistence', 'T1078').color).toBe('#ff0000');
    expect(cell('initial-access', 'T1078').color).toBeUndefined();
    expect(cell('execution', 'T1059')).toMatchObject({ color: '#ffffff', dim: true });
    expect(unplaced.map((t) => t.techniqueID)).toEqual(['T9999']);
    expect(buildMatrix([], () => ({ label: '', score: 0 }))).toEqual([]);
  });
});
