import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRulePaths, loadText, type LoadedSet } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import { readYamlDocs } from './yaml.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures', 'rules');

describe('YAML reading', () => {
  it('keeps literal scalar text and distinguishes null, empty and quoted values', () => {
    const { docs } = readYamlDocs("a: 0x1F\nb: 010\nc:\nd: null\ne: 'null'\nf: ''\ng: 1.10\nh: true\n", 'x.yml');
    expect(docs[0].value).toEqual({ a: '0x1F', b: '010', c: null, d: null, e: 'null', f: '', g: '1.10', h: 'true' });
    expect(docs[0].lineOf(['g'])).toBe(7);
  });
  it('reports YAML errors with file and line, never throws', () => {
    const { problems } = readYamlDocs('a: [1, 2\nb: 3\n', 'bad.yml');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].code).toBe('SIGMA_YAML_INVALID');
    expect(problems[0].location?.file).toBe('bad.yml');
    expect(problems[0].location?.line).toBeGreaterThan(0);
  });
  it('survives hostile YAML (alias bombs, deep nesting, binary junk)', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 0 };
    expect(() => loadText(bomb, 'bomb.yml', set)).not.toThrow();
    expect(() => loadText('['.repeat(5000), 'deep.yml', set)).not.toThrow();
    expect(() => loadText('\u0000\u0001\uffff: : :\n\t- ]', 'junk.yml', set)).not.toThrow();
    expect(set.rules).toHaveLength(0);
    expect(set.problems.length).toBeGreaterThan(0);
  });
});

describe('loading a directory', () => {
  const set = loadRulePaths([fixtures]);
  const m = new SigmaMatcher(set, { config: { skipStatus: [] } });
  const all = [...set.problems, ...m.problems];

  it('collects every problem with file, line and code, and keeps loading', () => {
    const byCode = (c: string) => all.filter((p) => p.code === c);
    expect(byCode('SIGMA_YAML_INVALID')[0].location?.file).toMatch(/broken\.yml$/);
    const cond = byCode('SIGMA_CONDITION_INVALID')[0];
    expect(cond.location?.file).toMatch(/bad\.yml$/);
    expect(cond.location?.line).toBe(8);
    expect(cond.message).toMatch(/missing/);
    expect(byCode('SIGMA_RULE_INVALID')[0].location?.line).toBe(10); // the document's first line: it has no logsource key
    expect(byCode('SIGMA_DUPLICATE_ID')[0].location?.line).toBe(18);
    expect(m.rules.map((r) => r.id).sort()).toEqual([
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
      '33333333-3333-4333-8333-333333333333',
      '44444444-4444-4444-8444-444444444444',
    ]);
  });
  it('applies rule collections: global, repeat and reset', () => {
    const r2 = m.rules.find((r) => r.id.startsWith('2222'))!;
    const r3 = m.rules.find((r) => r.id.startsWith('3333'))!;
    const r4 = m.rules.find((r) => r.id.startsWith('4444'))!;
    expect(r2.title).toBe('Collection base');
    expect(r2.logsource).toEqual({ product: 'windows', service: 'security' });
    expect(r3.logsource).toEqual({ product: 'windows', service: 'security' });
    expect(r4.status).toBeUndefined();
    const sec = (id: number) => ({ fields: { Channel: 'Security', EventID: id }, source: { format: 'winlog' as const } });
    expect(m.match(sec(4625)).map((d) => d.rule.id)).toEqual([r2.id]);
    expect(m.match(sec(4740)).map((d) => d.rule.id)).toEqual([r3.id]);
  });
  it('hands correlation documents and filters over', () => {
    expect(set.correlations).toHaveLength(1);
    expect(set.filters).toHaveLength(1);
    expect(set.filters[0].rules).toEqual(['11111111-1111-4111-8111-111111111111']);
  });
});
