/**
 * Sigma 2.1 conformance checklist (unit, no corpus): every modifier of the appendix has a
 * positive and a negative case here (the test fails when a modifier is added to KNOWN_MODIFIERS
 * without one), the combinations the specification allows, every condition form, placeholders
 * (`|expand`), meta filters end to end, and hostile rule input (alias bombs, deep nesting, huge
 * files, pathological regular expressions and wildcards) with time bounds.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGarrisonError, type GarrisonError } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import { SigmaStage } from '../engine.js';
import { loadRulePaths, loadText, MAX_RULE_FILE_BYTES, type LoadedSet } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import { expandPlaceholders, KNOWN_MODIFIERS } from './values.js';
import { readYamlDocs } from './yaml.js';

function compile(detection: string, config: Record<string, unknown> = {}): { m: SigmaMatcher; problems: GarrisonError[] } {
  const text = `title: t\nid: r1\nlogsource:\n  product: test\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
  loadText(text, 'inline.yml', set);
  const m = new SigmaMatcher(set, { pipelines: [], config });
  return { m, problems: [...set.problems, ...m.problems] };
}
function rule(detection: string, config: Record<string, unknown> = {}): (fields: Record<string, unknown>) => boolean {
  const { m, problems } = compile(detection, config);
  if (problems.length) throw problems[0];
  return (fields) => m.match({ fields, source: { format: 'json', product: 'test' } }).length === 1;
}
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** modifier → [detection (YAML), events that match, events that do not]. */
const CASES: Record<string, [string, Record<string, unknown>[], Record<string, unknown>[]]> = {
  contains: [`s:\n  F|contains: mid\ncondition: s`, [{ F: 'aMIDb' }], [{ F: 'mi d' }]],
  startswith: [`s:\n  F|startswith: pre\ncondition: s`, [{ F: 'PREfix' }], [{ F: 'xpre' }]],
  endswith: [`s:\n  F|endswith: '\\x.exe'\ncondition: s`, [{ F: 'C:\\X.EXE' }], [{ F: 'C:\\x.exe.txt' }]],
  all: [`s:\n  F|contains|all: [a1, b2]\ncondition: s`, [{ F: 'b2 a1' }], [{ F: 'a1 only' }]],
  base64: [`s:\n  F|base64: 'Invoke-'\ncondition: s`, [{ F: b64('Invoke-') }], [{ F: b64('invoke-') }]],
  base64offset: [`s:\n  F|base64offset|contains: 'Invoke-Mimikatz'\ncondition: s`, [{ F: b64('xInvoke-Mimikatz -x') }, { F: b64('xxInvoke-Mimikatz') }, { F: b64('Invoke-Mimikatz') }], [{ F: b64('Invoke-Mimi') }]],
  utf16le: [`s:\n  F|utf16le|base64offset|contains: 'iex'\ncondition: s`, [{ F: b64(Buffer.from('x iex y', 'utf16le')) }], [{ F: b64('x iex y') }]],
  utf16be: [`s:\n  F|utf16be|base64offset|contains: 'iex'\ncondition: s`, [{ F: b64(Buffer.from([0, 0x20, 0, 0x69, 0, 0x65, 0, 0x78, 0, 0x20])) }], [{ F: b64(' iex ') }, { F: b64(Buffer.from([0, 0x20, 0, 0x49, 0, 0x45, 0, 0x58])) }]],
  wide: [`s:\n  F|wide|base64: 'ab'\ncondition: s`, [{ F: b64(Buffer.from('ab', 'utf16le')) }], [{ F: b64('ab') }]],
  utf16: [`s:\n  F|utf16|base64: 'ab'\ncondition: s`, [{ F: b64(Buffer.from([0xff, 0xfe, 0x61, 0, 0x62, 0])) }], [{ F: b64(Buffer.from('ab', 'utf16le')) }]],
  windash: [`s:\n  F|windash|contains: ' -nop '\ncondition: s`, [{ F: 'ps /nop x' }, { F: 'ps \u2013nop x' }, { F: 'ps \u2014nop x' }, { F: 'ps \u2015nop x' }, { F: 'ps -nop x' }], [{ F: 'ps +nop x' }]],
  re: [`s:\n  F|re: '^a[0-9]{2}z$'\ncondition: s`, [{ F: 'a42z' }], [{ F: 'A42z' }, { F: 'a4z' }]],
  i: [`s:\n  F|re|i: '^abc$'\ncondition: s`, [{ F: 'AbC' }], [{ F: 'abcd' }]],
  m: [`s:\n  F|re|m: '^two$'\ncondition: s`, [{ F: 'one\ntwo\nthree' }], [{ F: 'one two' }]],
  s: [`s:\n  F|re|s: 'one.two'\ncondition: s`, [{ F: 'one\ntwo' }], [{ F: 'one\n\ntwo' }]],
  cidr: [`s:\n  F|cidr: ['192.168.0.0/16', '2001:db8::/32']\ncondition: s`, [{ F: '192.168.7.1' }, { F: '2001:DB8:1::5' }], [{ F: '192.169.0.1' }, { F: '2001:db9::1' }]],
  exists: [`s:\n  F|exists: true\ncondition: s`, [{ F: '' }], [{ G: 'x' }]],
  expand: [`s:\n  F|expand: '%admins%'\ncondition: s`, [{ F: 'ROOT' }], [{ F: 'bob' }]],
  fieldref: [`s:\n  F|fieldref: G\ncondition: s`, [{ F: 'Same', G: 'same' }], [{ F: 'a', G: 'b' }, { F: 'a' }]],
  gt: [`s:\n  F|gt: 10\ncondition: s`, [{ F: 11 }, { F: '10.5' }], [{ F: 10 }, { F: 'x' }]],
  gte: [`s:\n  F|gte: 10\ncondition: s`, [{ F: 10 }], [{ F: 9 }]],
  lt: [`s:\n  F|lt: 10\ncondition: s`, [{ F: -1 }], [{ F: 10 }]],
  lte: [`s:\n  F|lte: 10\ncondition: s`, [{ F: '10' }], [{ F: 11 }]],
  neq: [`s:\n  F|neq: ok\ncondition: s`, [{ F: 'failed' }], [{ F: 'OK' }, {}]],
  cased: [`s:\n  F|cased|contains: 'Mz'\ncondition: s`, [{ F: 'xMzx' }], [{ F: 'xmzx' }]],
  minute: [`s:\n  T|minute: 4\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2026-01-02T03:05:05Z' }, { T: 'not a date' }]],
  hour: [`s:\n  T|hour: 3\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2026-01-02T04:04:05Z' }]],
  day: [`s:\n  T|day: 2\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2026-01-03T03:04:05Z' }]],
  week: [`s:\n  T|week: 1\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2026-01-12T03:04:05Z' }]],
  month: [`s:\n  T|month: 1\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2026-02-02T03:04:05Z' }]],
  year: [`s:\n  T|year: 2026\ncondition: s`, [{ T: '2026-01-02T03:04:05Z' }], [{ T: '2025-12-31T23:59:59Z' }]],
};

describe('every modifier of the appendix (Sigma 2.1)', () => {
  it('has a case here for every modifier the engine knows', () => {
    expect([...KNOWN_MODIFIERS].filter((m) => !(m in CASES))).toEqual([]);
  });
  for (const [mod, [det, yes, no]] of Object.entries(CASES)) {
    it(`${mod}`, () => {
      const m = rule(det, { placeholders: { admins: ['root', 'administrator'] } });
      for (const f of yes) expect(m(f), `${mod} should match ${JSON.stringify(f)}`).toBe(true);
      for (const f of no) expect(m(f), `${mod} should not match ${JSON.stringify(f)}`).toBe(false);
    });
  }
});

describe('combinations the specification allows', () => {
  it('windash with startswith and endswith, and with all', () => {
    expect(rule(`s:\n  F|windash|startswith: '-enc'\ncondition: s`)({ F: '/ENC aaa' })).toBe(true);
    const all = rule(`s:\n  F|windash|contains|all: [' -a ', ' -b ']\ncondition: s`);
    expect(all({ F: 'x /a \u2014by' })).toBe(false); // ' -b ' needs a space after b
    expect(all({ F: 'x /a \u2014b y' })).toBe(true);
  });
  it('base64offset alignments with a value whose length is a multiple of 3 and one that is not', () => {
    for (const v of ['abc', 'abcd', 'abcde']) {
      const m = rule(`s:\n  F|base64offset|contains: '${v}'\ncondition: s`);
      for (const pre of ['', 'x', 'xy', 'xyz']) expect(m({ F: b64(`${pre}${v}tail`) }), `${v} after '${pre}'`).toBe(true);
    }
  });
  it('cased with startswith/endswith/all and the default case-insensitivity of lists', () => {
    expect(rule(`s:\n  F|cased|startswith: 'Get-'\ncondition: s`)({ F: 'get-x' })).toBe(false);
    expect(rule(`s:\n  F|cased|endswith: '.PS1'\ncondition: s`)({ F: 'a.PS1' })).toBe(true);
    expect(rule(`s:\n  F|cased|contains|all: [A, b]\ncondition: s`)({ F: 'Ab' })).toBe(true);
    expect(rule(`s:\n  F|cased|contains|all: [A, b]\ncondition: s`)({ F: 'aB' })).toBe(false);
  });
  it('re with several sub-modifiers and a list of regexes (OR), and |all (AND)', () => {
    const or = rule(`s:\n  F|re|i|s:\n    - 'a.b'\n    - '^zz'\ncondition: s`);
    expect(or({ F: 'A\nB' })).toBe(true);
    expect(or({ F: 'ZZtop' })).toBe(true);
    expect(or({ F: 'q' })).toBe(false);
    const and = rule(`s:\n  F|re|all:\n    - 'x\\d'\n    - 'y\\d'\ncondition: s`);
    expect(and({ F: 'x1 y2' })).toBe(true);
    expect(and({ F: 'x1' })).toBe(false);
  });
  it('neq on numbers and lists (NOT IN), gt on hex text, fieldref with endswith', () => {
    const n = rule(`s:\n  EventID|neq: [4624, 4625]\ncondition: s`);
    expect(n({ EventID: 4634 })).toBe(true);
    expect(n({ EventID: '4625' })).toBe(false);
    expect(rule(`s:\n  F|gt: 15\ncondition: s`)({ F: '0x10' })).toBe(true);
    expect(rule(`s:\n  F|fieldref|endswith: G\ncondition: s`)({ F: 'C:\\dir\\Tool.exe', G: 'tool.exe' })).toBe(true);
  });
  it('exists: false, null and empty values in one selection', () => {
    const m = rule(`s:\n  A|exists: false\n  B: null\n  C: ''\ncondition: s`);
    expect(m({ C: '' })).toBe(true);
    expect(m({ B: null, C: '' })).toBe(true);
    expect(m({ A: '', C: '' })).toBe(false);
    expect(m({ C: 'x' })).toBe(false);
  });
  it('wildcards with escapes inside contains and a literal backslash before a wildcard', () => {
    expect(rule(`s:\n  F|contains: 'a\\*b'\ncondition: s`)({ F: 'xa*by' })).toBe(true);
    expect(rule(`s:\n  F|contains: 'a\\*b'\ncondition: s`)({ F: 'xaZby' })).toBe(false);
    expect(rule(`s:\n  F: 'C:\\\\\\\\*'\ncondition: s`)({ F: 'C:\\\\share' })).toBe(true); // '\\\\' = one escaped backslash, then *
    expect(rule(`s:\n  F: 'a?c'\ncondition: s`)({ F: 'abc' })).toBe(true);
    expect(rule(`s:\n  F: 'a\\?c'\ncondition: s`)({ F: 'abc' })).toBe(false);
  });
  it('keyword searches: plain, wildcards and |all over a list of keywords', () => {
    const k = rule(`keywords:\n  - 'evil*tool'\n  - 'other'\ncondition: keywords`);
    expect(k({ a: 'x EVIL big TOOL y' })).toBe(true);
    expect(k({ a: 'tool evil' })).toBe(false);
    const all = rule(`keywords:\n  '|all':\n    - 'alpha'\n    - 'beta'\ncondition: keywords`);
    expect(all({ a: 'alpha', b: 'beta' })).toBe(true);
    expect(all({ a: 'alpha' })).toBe(false);
  });
});

describe('every condition form', () => {
  const base = `sel_a:\n  A: 1\nsel_b:\n  B: 1\nfilter_x:\n  X: 1\nfilter_y:\n  Y: 1\n`;
  const c = (cond: string) => rule(`${base}condition: ${cond}`);
  const forms: [string, Record<string, unknown>, boolean][] = [
    ['sel_a', { A: 1 }, true],
    ['sel_a and sel_b', { A: 1 }, false],
    ['sel_a or sel_b', { B: 1 }, true],
    ['not sel_a', { B: 1 }, true],
    ['not sel_a and sel_b', { B: 1 }, true], // not binds tighter than and
    ['not (sel_a and sel_b)', { A: 1, B: 1 }, false],
    ['sel_a and (sel_b or filter_x)', { A: 1, X: 1 }, true],
    ['sel_a or sel_b and filter_x', { A: 1 }, true], // and binds tighter than or
    ['1 of sel_*', { B: 1 }, true],
    ['any of sel_*', { B: 1 }, true],
    ['all of sel_*', { B: 1 }, false],
    ['all of sel_*', { A: 1, B: 1 }, true],
    ['1 of them', { Y: 1 }, true],
    ['any of them', { Y: 1 }, true],
    ['all of them', { A: 1, B: 1, X: 1 }, false],
    ['all of them', { A: 1, B: 1, X: 1, Y: 1 }, true],
    ['1 of sel_* and not 1 of filter_*', { A: 1, Y: 1 }, false],
    ['1 of sel_* and not 1 of filter_*', { A: 1 }, true],
    ['all of sel_* and not all of filter_*', { A: 1, B: 1, X: 1 }, true],
    ['1 of sel_a', { A: 1 }, true], // a pattern without wildcard names one identifier
    ['SEL_A', { A: 1 }, false], // identifiers are case-sensitive: unknown → rejected, see below
  ];
  for (const [cond, ev, want] of forms.slice(0, -1)) {
    it(`${cond} on ${JSON.stringify(ev)} → ${want}`, () => expect(c(cond)(ev)).toBe(want));
  }
  it('an unknown identifier (identifiers are case-sensitive) is rejected with file:line', () => {
    const { problems } = compile(`${base}condition: SEL_A`);
    expect(problems[0]?.code).toBe('SIGMA_CONDITION_INVALID');
    expect(problems[0]?.location?.line).toBeGreaterThan(0);
  });
});

describe('placeholders (|expand)', () => {
  const ph = { admins: ['root', 'adm_*'], dcs: ['dc1', 'dc2'], sites: ['eu', 'us'] };
  it('expands whole values, values with text around a placeholder, and several placeholders (every combination)', () => {
    expect(expandPlaceholders('%dcs%', ph)).toEqual(['dc1', 'dc2']);
    expect(expandPlaceholders('\\\\%dcs%\\share', ph)).toEqual(['\\\\dc1\\share', '\\\\dc2\\share']);
    expect(expandPlaceholders('%dcs%.%sites%.corp', ph)).toEqual(['dc1.eu.corp', 'dc1.us.corp', 'dc2.eu.corp', 'dc2.us.corp']);
    expect(expandPlaceholders('\\%plain%dcs%', ph)).toEqual(['%plaindc1', '%plaindc2']); // the spec's own example: \% is a literal %
    expect(expandPlaceholders('100%', ph)).toEqual(['100%']);
    expect(expandPlaceholders('%%', ph)).toEqual(['%%']);
  });
  it('placeholder values are Sigma strings (wildcards work) and match case-insensitively', () => {
    const m = rule(`s:\n  User|expand: '%admins%'\ncondition: s`, { placeholders: ph });
    expect(m({ User: 'ADM_bob' })).toBe(true);
    expect(m({ User: 'Root' })).toBe(true);
    expect(m({ User: 'bob' })).toBe(false);
    const c = rule(`s:\n  Target|expand|contains: '\\\\%dcs%\\'\ncondition: s`, { placeholders: ph });
    expect(c({ Target: 'copy \\\\DC2\\c$' })).toBe(true);
    expect(c({ Target: 'copy \\\\dc3\\c$' })).toBe(false);
  });
  it('without expand, %name% is literal text', () => {
    const m = rule(`s:\n  F: '%dcs%'\ncondition: s`, { placeholders: ph });
    expect(m({ F: '%DCS%' })).toBe(true);
    expect(m({ F: 'dc1' })).toBe(false);
  });
  it('an undefined placeholder rejects the rule with a code and the line, unless a "*" entry defines the rest', () => {
    const { problems } = compile(`s:\n  F|expand: '%nope%'\ncondition: s`);
    expect(problems.map((p) => p.code)).toEqual(['SIGMA_PLACEHOLDER_UNKNOWN']);
    expect(problems[0]!.location?.line).toBe(6); // the line of the search identifier
    // '*': [] — undefined placeholders stand for nothing: the item never matches (a filter built on it removes nothing)
    const none = rule(`sel:\n  F: x\nfilter:\n  G|expand|contains: '%known_dcs%'\ncondition: sel and not filter`, { placeholders: { '*': [] } });
    expect(none({ F: 'x', G: 'dc01' })).toBe(true);
    // '*': ['*'] — pySigma's wildcard placeholders: any value
    const any = rule(`sel:\n  F: x\nfilter:\n  G|expand|contains: '%known_dcs%'\ncondition: sel and not filter`, { placeholders: { '*': ['*'] } });
    expect(any({ F: 'x', G: 'dc01' })).toBe(false);
    expect(any({ F: 'x' })).toBe(true);
    // a defined name still wins over '*'
    expect(rule(`s:\n  F|expand: '%dcs%'\ncondition: s`, { placeholders: { ...ph, '*': [] } })({ F: 'dc1' })).toBe(true);
    // neq with an empty expansion: the field only has to exist
    const neq = rule(`s:\n  F|expand|neq: '%x%'\ncondition: s`, { placeholders: { '*': [] } });
    expect(neq({ F: 'a' })).toBe(true);
    expect(neq({})).toBe(false);
  });
  it('refuses an expansion larger than 10,000 values', () => {
    const big = { a: Array.from({ length: 200 }, (_, i) => `a${i}`), b: Array.from({ length: 200 }, (_, i) => `b${i}`) };
    expect(() => expandPlaceholders('%a%%b%', big)).toThrow(expect.objectContaining({ code: 'SIGMA_MODIFIER_INVALID' }));
  });
});

describe('meta filters end to end (SigmaStage over a rule directory)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sigma-filters-'));
  writeFileSync(
    path.join(dir, 'rule.yml'),
    `title: Rar compression\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nname: rar_compression\nstatus: test\nlevel: medium\nlogsource: { product: windows, category: process_creation }\ndetection:\n  selection:\n    Image|endswith: '\\rar.exe'\n  condition: selection\n---\ntitle: Other\nid: 7f3e2987-db24-4c78-a860-b4f4095a7095\nstatus: test\nlevel: low\nlogsource: { product: windows, category: process_creation }\ndetection:\n  selection:\n    Image|endswith: '\\rar.exe'\n  condition: selection\n`,
  );
  writeFileSync(
    path.join(dir, 'mf_admins.yml'),
    `title: Filter administrator accounts\nlogsource: { product: windows, category: process_creation }\nfilter:\n  rules:\n    - rar_compression\n  selection:\n    User|startswith: 'CORP\\adm_'\n  condition: not selection\n`,
  );
  mkdirSync(path.join(dir, 'bad'));
  writeFileSync(path.join(dir, 'bad', 'mf_bad.yml'), `title: Broken filter\nlogsource: { product: windows }\nfilter:\n  rules: [rar_compression]\n  selection:\n    User: x\n  condition: selection and nothing\n`);
  const ev = (user: string): GarrisonEvent => ({
    id: `e-${user}`,
    time: 1,
    ingestTime: 1,
    tenant: 't',
    source: { format: 'winlog', product: 'windows', channel: 'Microsoft-Windows-Sysmon/Operational', eventCode: '1', category: 'process_creation', service: 'sysmon' },
    class: { uid: 1007, name: 'process_activity' },
    entities: {},
    fields: { Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1, Image: 'C:\\Program Files\\WinRAR\\rar.exe', User: user },
    raw: '',
  }) as unknown as GarrisonEvent;

  it('a filter naming a rule by name suppresses its matches for the filtered accounts only, and not other rules', () => {
    const stage = new SigmaStage({ builtin: false, rulePaths: [path.join(dir, 'rule.yml'), path.join(dir, 'mf_admins.yml')] });
    expect(stage.problems).toEqual([]);
    expect(stage.process([ev('CORP\\adm_bob')]).map((s) => s.title)).toEqual(['Other']);
    expect(stage.process([ev('CORP\\alice')]).map((s) => s.title).sort()).toEqual(['Other', 'Rar compression']);
  });
  it('a broken filter is reported with file, line and code and dropped; the rules it names still load and match', () => {
    const set = loadRulePaths([dir]);
    const m = new SigmaMatcher(set);
    const all = [...set.problems, ...m.problems];
    expect(all.map((x) => [x.code, path.basename(x.location?.file ?? ''), x.location?.line])).toEqual([['SIGMA_CONDITION_INVALID', 'mf_bad.yml', 7]]);
    expect(m.rules.map((r) => r.title).sort()).toEqual(['Other', 'Rar compression']);
    expect(set.filters.map((f) => f.title)).toEqual(['Filter administrator accounts']);
  });
  it('a filter that cannot compile under the placeholder config is reported with its own file:line and skipped; the rule still matches', () => {
    const d3 = mkdtempSync(path.join(tmpdir(), 'sigma-filters3-'));
    writeFileSync(path.join(d3, 'mf_expand.yml'), `title: Expand\nlogsource: { product: windows }\nfilter:\n  rules: [rar_compression]\n  selection:\n    User|expand: '%admins%'\n  condition: not selection\n`);
    const stage = new SigmaStage({ builtin: false, rulePaths: [path.join(dir, 'rule.yml'), d3] });
    expect(stage.problems.map((p) => [p.code, path.basename(p.location?.file ?? ''), p.location?.line])).toEqual([['SIGMA_PLACEHOLDER_UNKNOWN', 'mf_expand.yml', 5]]);
    expect(stage.problems[0]!.message).toMatch(/skipped/);
    expect(stage.process([ev('CORP\\adm_bob')]).map((s) => s.title).sort()).toEqual(['Other', 'Rar compression']);
  });
  it('a filter that names no loaded rule is reported (with the line of filter.rules) and dropped', () => {
    const d2 = mkdtempSync(path.join(tmpdir(), 'sigma-filters2-'));
    writeFileSync(path.join(d2, 'mf_typo.yml'), `title: Typo\nlogsource: { product: windows }\nfilter:\n  rules:\n    - rar_compresion\n  selection:\n    User: x\n  condition: not selection\n`);
    const set = loadRulePaths([path.join(dir, 'rule.yml'), d2]);
    expect(set.filters).toEqual([]);
    expect(set.problems.map((p) => [p.code, p.location?.line])).toEqual([['SIGMA_FILTER_INVALID', 4]]);
    expect(set.problems[0]!.message).toMatch(/rar_compresion/);
  });
});

describe('hostile rule input', () => {
  const timed = <T>(fn: () => T, ms: number): T => {
    const t0 = Date.now();
    const r = fn();
    expect(Date.now() - t0).toBeLessThan(ms);
    return r;
  };
  it('a "billion laughs" alias bomb is refused quickly with SIGMA_YAML_INVALID and a line', () => {
    let y = 'a0: &a0 ["x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 9; i++) y += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
    const { problems } = timed(() => readYamlDocs(y, 'bomb.yml'), 5000);
    expect(problems[0]).toMatchObject({ code: 'SIGMA_YAML_INVALID', location: { file: 'bomb.yml', line: 1 } });
    expect(problems[0]!.message).toMatch(/alias/);
    // a rule using a few aliases legitimately still loads
    const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
    loadText(`title: t\nid: x1\nlogsource: { product: test }\ndetection:\n  a: &v { F: [x, y] }\n  b: *v\n  condition: a and b\n`, 'ok.yml', set);
    expect(set.problems).toEqual([]);
    expect(set.rules).toHaveLength(1);
  });
  it('deep nesting is refused (YAML and conditions) without a stack overflow', () => {
    const deep = `title: t\nid: d1\nlogsource: { product: test }\ndetection:\n  s: ${'['.repeat(200)}x${']'.repeat(200)}\n  condition: s\n`;
    const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
    timed(() => loadText(deep, 'deep.yml', set), 5000);
    expect(set.problems[0]?.code).toBe('SIGMA_YAML_INVALID');
    expect(set.problems[0]?.message).toMatch(/nesting/);
    const { problems } = compile(`s:\n  F: x\ncondition: ${'not '.repeat(5000)}s`);
    expect(problems[0]?.code).toBe('SIGMA_CONDITION_INVALID');
  });
  it('a rule file over the size limit is refused unread; a large legitimate file loads in bounded time', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sigma-huge-'));
    writeFileSync(path.join(dir, 'huge.yml'), `title: t\n# ${'x'.repeat(MAX_RULE_FILE_BYTES)}\n`);
    const many = Array.from({ length: 2000 }, (_, i) => `title: r${i}\nid: id-${i}\nlogsource: { product: test }\ndetection:\n  s:\n    F|contains: ['${'v'.repeat(200)}${i}', 'w${i}']\n  condition: s\n`).join('---\n');
    writeFileSync(path.join(dir, 'many.yml'), many);
    const set = timed(() => loadRulePaths([dir]), 30_000);
    expect(set.problems.map((p) => [p.code, path.basename(p.location?.file ?? '')])).toEqual([['SIGMA_IO', 'huge.yml']]);
    expect(set.rules).toHaveLength(2000);
  });
  it('pathological regular expressions run in linear time or are refused', () => {
    const input = 'a'.repeat(100_000) + '!';
    for (const re of ['(a+)+$', '(a|aa)*b', '(a*)*!x', '(?:a?){30}a{30}b', '^(([a-z])+.)+[A-Z]([a-z])+$']) {
      const m = rule(`s:\n  F|re: '${re}'\ncondition: s`);
      timed(() => expect(m({ F: input }), re).toBe(false), 3000);
    }
    for (const re of ['((a{100}){100}){100}', '(?<=x)a', 'a\\1', '(?=a)']) {
      const { problems } = compile(`s:\n  F|re: '${re.replace(/'/g, "''")}'\ncondition: s`);
      expect(problems[0]?.code, re).toBe('SIGMA_REGEX_INVALID');
    }
  });
  it('wildcard-heavy values and many windash flags compile and match in bounded time', () => {
    const g = timed(() => rule(`s:\n  F: '${'*a?'.repeat(3000)}'\ncondition: s`), 5000);
    timed(() => expect(g({ F: 'b'.repeat(200_000) })).toBe(false), 3000);
    const w = timed(() => rule(`s:\n  F|windash|contains: '${' -a'.repeat(40)}'\ncondition: s`), 10_000);
    timed(() => w({ F: 'x'.repeat(100_000) }), 3000);
  });
  it('never throws anything but a GarrisonError from the loader on junk', () => {
    const junk = ['\u0000\u0001', ': : :', '- - -\n  - ]', 'title: [', 'detection: !!binary aGVsbG8=', '&a [*a]', '? [a, b]\n: c', 'a: !!js/function "function(){}"'];
    for (const j of junk) {
      const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
      expect(() => loadText(j, 'junk.yml', set)).not.toThrow();
      for (const p of set.problems) expect(isGarrisonError(p)).toBe(true);
    }
  });
});
