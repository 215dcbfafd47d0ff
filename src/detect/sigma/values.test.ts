import { describe, expect, it } from 'vitest';
import { isGarrisonError } from '../../core/errors.js';
import { loadText, type LoadedSet } from './loader.js';
import { SigmaMatcher } from './matcher.js';

/** Compiles a detection (YAML under `detection:`) into a one-rule matcher for product `test`. */
function rule(detection: string, config: Record<string, unknown> = {}): (fields: Record<string, unknown>) => boolean {
  const text = `title: t\nid: r1\nlogsource:\n  product: test\ndetection:\n${detection.replace(/^/gm, '  ')}\n`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
  loadText(text, 'inline.yml', set);
  if (set.problems.length) throw set.problems[0];
  const m = new SigmaMatcher(set, { pipelines: [], config });
  if (m.problems.length) throw m.problems[0];
  return (fields) => m.match({ fields, source: { format: 'json', product: 'test' } }).length === 1;
}
function rejects(detection: string): string {
  try {
    rule(detection);
  } catch (e) {
    if (isGarrisonError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('plain values', () => {
  it('matches case-insensitively by default and exactly (not as substring)', () => {
    const m = rule(`sel:\n  Image: 'C:\\Windows\\cmd.exe'\ncondition: sel`);
    expect(m({ Image: 'c:\\windows\\CMD.EXE' })).toBe(true);
    expect(m({ Image: 'C:\\Windows\\cmd.exe.bak' })).toBe(false);
    expect(m({ Other: 'C:\\Windows\\cmd.exe' })).toBe(false);
  });
  it('keeps YAML literal text: 0x1F and 010 are strings, numbers match numeric field values', () => {
    const m = rule(`sel:\n  Code: 0x1F\n  Mode: 010\n  EventID: 4688\ncondition: sel`);
    expect(m({ Code: '0x1F', Mode: '010', EventID: 4688 })).toBe(true);
    expect(m({ Code: 31, Mode: '010', EventID: 4688 })).toBe(false);
    expect(m({ Code: '0x1f', Mode: 8, EventID: '4688' })).toBe(false);
  });
  it('lists are OR, maps are AND, lists of maps are OR of ANDs', () => {
    const m = rule(`sel:\n  - A: x\n    B: y\n  - C: [1, 2]\ncondition: sel`);
    expect(m({ A: 'x', B: 'y' })).toBe(true);
    expect(m({ A: 'x', B: 'z' })).toBe(false);
    expect(m({ C: 2 })).toBe(true);
    expect(m({ C: 3 })).toBe(false);
  });
  it('wildcards * and ? with escaping', () => {
    const m = rule(`sel:\n  F: 'a*b?c'\ncondition: sel`);
    expect(m({ F: 'aXXXbYc' })).toBe(true);
    expect(m({ F: 'abYc' })).toBe(true);
    expect(m({ F: 'abc' })).toBe(false);
    const esc = rule(`sel:\n  F: 'what\\?*'\ncondition: sel`);
    expect(esc({ F: 'what?ever' })).toBe(true);
    expect(esc({ F: 'whatXever' })).toBe(false);
    const star = rule(`sel:\n  F: 'lit\\*'\ncondition: sel`);
    expect(star({ F: 'lit*' })).toBe(true);
    expect(star({ F: 'litx' })).toBe(false);
    const bs = rule(`sel:\n  F: 'C:\\\\*'\ncondition: sel`);
    expect(bs({ F: 'C:\\anything' })).toBe(true);
    const plainBs = rule(`sel:\n  F|endswith: '\\cmd.exe'\ncondition: sel`);
    expect(plainBs({ F: 'C:\\Windows\\cmd.exe' })).toBe(true);
  });
  it('glob matching stays linear on adversarial input', () => {
    const m = rule(`sel:\n  F: '*a*a*a*a*a*a*a*a*b'\ncondition: sel`);
    const t0 = Date.now();
    expect(m({ F: 'a'.repeat(200_000) })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
  it('null means absent or null; empty string means empty', () => {
    const n = rule(`sel:\n  F: null\ncondition: sel`);
    expect(n({})).toBe(true);
    expect(n({ F: null })).toBe(true);
    expect(n({ F: '' })).toBe(false);
    const e = rule(`sel:\n  F: ''\ncondition: sel`);
    expect(e({ F: '' })).toBe(true);
    expect(e({})).toBe(false);
    expect(e({ F: 'x' })).toBe(false);
  });
  it('keyword searches look at every value', () => {
    const m = rule(`keywords:\n  - 'sekurlsa::logonpasswords'\n  - 'kerberos::golden'\ncondition: keywords`);
    expect(m({ a: 1, msg: 'ran SEKURLSA::LogonPasswords now' })).toBe(true);
    expect(m({ nested: { deep: ['x', 'kerberos::golden /user'] } })).toBe(true);
    expect(m({ msg: 'nothing here' })).toBe(false);
  });
  it('array field values match when any element matches', () => {
    const m = rule(`sel:\n  F|contains: evil\ncondition: sel`);
    expect(m({ F: ['good', 'very evil'] })).toBe(true);
    expect(m({ F: ['good'] })).toBe(false);
  });
});

describe('modifiers', () => {
  it('contains / startswith / endswith', () => {
    expect(rule(`s:\n  F|contains: mid\ncondition: s`)({ F: 'xxMIDyy' })).toBe(true);
    expect(rule(`s:\n  F|startswith: pre\ncondition: s`)({ F: 'prefix' })).toBe(true);
    expect(rule(`s:\n  F|startswith: pre\ncondition: s`)({ F: 'xprefix' })).toBe(false);
    expect(rule(`s:\n  F|endswith: fix\ncondition: s`)({ F: 'prefix' })).toBe(true);
    expect(rule(`s:\n  F|endswith: fix\ncondition: s`)({ F: 'fixed' })).toBe(false);
  });
  it('all: every value must match (with lists)', () => {
    const m = rule(`s:\n  CommandLine|contains|all:\n    - ' -enc '\n    - 'hidden'\ncondition: s`);
    expect(m({ CommandLine: 'powershell -w hidden -enc AAA' })).toBe(true);
    expect(m({ CommandLine: 'powershell -enc AAA' })).toBe(false);
  });
  it('long value lists (grouped into sets/tries/automata) keep exact semantics', () => {
    const vals = Array.from({ length: 40 }, (_, i) => `tool${i}.exe`);
    const ends = rule(`s:\n  Image|endswith:\n${vals.map((v) => `    - '\\${v}'`).join('\n')}\ncondition: s`);
    expect(ends({ Image: 'C:\\x\\TOOL17.EXE' })).toBe(true);
    expect(ends({ Image: 'C:\\x\\tool17.exe.txt' })).toBe(false);
    const eq = rule(`s:\n  User:\n${vals.map((v) => `    - '${v}'`).join('\n')}\ncondition: s`);
    expect(eq({ User: 'Tool3.exe' })).toBe(true);
    expect(eq({ User: 'tool3.ex' })).toBe(false);
    const con = rule(`s:\n  C|contains:\n${vals.map((v) => `    - '${v}'`).join('\n')}\ncondition: s`);
    expect(con({ C: 'run tool39.exe now' })).toBe(true);
    expect(con({ C: 'run tool40.exe now' })).toBe(false);
  });
  it('cased: case-sensitive matching', () => {
    const m = rule(`s:\n  F|cased: CamelCase\ncondition: s`);
    expect(m({ F: 'CamelCase' })).toBe(true);
    expect(m({ F: 'camelcase' })).toBe(false);
  });
  it('base64 and base64offset (all three alignments)', () => {
    const b = rule(`s:\n  F|base64: 'http://'\ncondition: s`);
    expect(b({ F: Buffer.from('http://').toString('base64') })).toBe(true);
    const m = rule(`s:\n  F|base64offset|contains: 'http://'\ncondition: s`);
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd']) {
      const enc = Buffer.from(`${prefix}http://evil.example/x`).toString('base64');
      expect(m({ F: enc }), `offset ${prefix.length}`).toBe(true);
    }
    expect(m({ F: Buffer.from('https://evil.example').toString('base64') })).toBe(false);
  });
  it('utf16le / wide / utf16be / utf16 combined with base64', () => {
    const le = rule(`s:\n  F|wide|base64offset|contains: 'ping'\ncondition: s`);
    expect(le({ F: Buffer.from('cmd /c ping x', 'utf16le').toString('base64') })).toBe(true);
    expect(le({ F: Buffer.from('cmd /c ping x', 'utf8').toString('base64') })).toBe(false);
    const be = rule(`s:\n  F|utf16be|base64: 'ab'\ncondition: s`);
    expect(be({ F: Buffer.from([0, 0x61, 0, 0x62]).toString('base64') })).toBe(true);
    const bom = rule(`s:\n  F|utf16|base64: 'ab'\ncondition: s`);
    expect(bom({ F: Buffer.from([0xff, 0xfe, 0x61, 0, 0x62, 0]).toString('base64') })).toBe(true);
    const le2 = rule(`s:\n  F|utf16le|base64: 'ab'\ncondition: s`);
    expect(le2({ F: Buffer.from([0x61, 0, 0x62, 0]).toString('base64') })).toBe(true);
  });
  it('windash: - / en dash, em dash and horizontal bar at flag positions', () => {
    const m = rule(`s:\n  CommandLine|windash|contains: ' -exec bypass'\ncondition: s`);
    for (const d of ['-', '/', '\u2013', '\u2014', '\u2015']) expect(m({ CommandLine: `powershell ${d}exec bypass` }), d).toBe(true);
    expect(m({ CommandLine: 'powershell +exec bypass' })).toBe(false);
    const two = rule(`s:\n  CommandLine|windash|contains: ' -a -b'\ncondition: s`);
    expect(two({ CommandLine: 'x /a \u2014b' })).toBe(true);
  });
  it('re with i, m and s sub-modifiers; (?i) prefix; linear time', () => {
    expect(rule(`s:\n  F|re: '^abc'\ncondition: s`)({ F: 'ABC' })).toBe(false);
    expect(rule(`s:\n  F|re|i: '^abc'\ncondition: s`)({ F: 'ABC' })).toBe(true);
    expect(rule(`s:\n  F|re: '(?i)^abc'\ncondition: s`)({ F: 'ABC' })).toBe(true);
    expect(rule(`s:\n  F|re: '^b'\ncondition: s`)({ F: 'a\nb' })).toBe(false);
    expect(rule(`s:\n  F|re|m: '^b'\ncondition: s`)({ F: 'a\nb' })).toBe(true);
    expect(rule(`s:\n  F|re: 'a.b'\ncondition: s`)({ F: 'a\nb' })).toBe(false);
    expect(rule(`s:\n  F|re|s: 'a.b'\ncondition: s`)({ F: 'a\nb' })).toBe(true);
    const evil = rule(`s:\n  F|re: '(a+)+$'\ncondition: s`);
    const t0 = Date.now();
    expect(evil({ F: 'a'.repeat(50_000) + '!' })).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(rejects(`s:\n  F|re: '(unclosed'\ncondition: s`)).toBe('SIGMA_REGEX_INVALID');
  });
  it('cidr: IPv4, IPv6, IPv4-mapped, garbage', () => {
    const v4 = rule(`s:\n  Ip|cidr:\n    - 10.0.0.0/8\n    - 192.168.1.0/24\ncondition: s`);
    expect(v4({ Ip: '10.200.3.4' })).toBe(true);
    expect(v4({ Ip: '192.168.1.255' })).toBe(true);
    expect(v4({ Ip: '192.168.2.1' })).toBe(false);
    expect(v4({ Ip: '::ffff:10.1.1.1' })).toBe(true);
    expect(v4({ Ip: '10.0.0.256' })).toBe(false);
    expect(v4({ Ip: 'not an ip' })).toBe(false);
    const v6 = rule(`s:\n  Ip|cidr: 'fe80::/10'\ncondition: s`);
    expect(v6({ Ip: 'fe80::1%eth0' })).toBe(true);
    expect(v6({ Ip: 'FE80:0:0:0:abcd::1' })).toBe(true);
    expect(v6({ Ip: '2001:db8::1' })).toBe(false);
    expect(v6({ Ip: '10.0.0.1' })).toBe(false);
    expect(rejects(`s:\n  Ip|cidr: '10.0.0.0/99'\ncondition: s`)).toBe('SIGMA_MODIFIER_INVALID');
  });
  it('exists', () => {
    const yes = rule(`s:\n  F|exists: true\ncondition: s`);
    expect(yes({ F: '' })).toBe(true);
    expect(yes({ F: null })).toBe(true);
    expect(yes({})).toBe(false);
    const no = rule(`s:\n  F|exists: false\ncondition: s`);
    expect(no({})).toBe(true);
    expect(no({ F: 'x' })).toBe(false);
    expect(rejects(`s:\n  F|exists: maybe\ncondition: s`)).toBe('SIGMA_MODIFIER_INVALID');
  });
  it('expand: placeholders from the configured map', () => {
    const m = rule(`s:\n  User|expand: '%admins%'\ncondition: s`, { placeholders: { admins: ['root', 'administrator'] } });
    expect(m({ User: 'Administrator' })).toBe(true);
    expect(m({ User: 'bob' })).toBe(false);
    expect(rejects(`s:\n  User|expand: '%nope%'\ncondition: s`)).toBe('SIGMA_PLACEHOLDER_UNKNOWN');
  });
  it('fieldref, alone and with neq / startswith', () => {
    const m = rule(`s:\n  Image|fieldref: ParentImage\ncondition: s`);
    expect(m({ Image: 'C:\\a.exe', ParentImage: 'c:\\A.EXE' })).toBe(true);
    expect(m({ Image: 'C:\\a.exe', ParentImage: 'C:\\b.exe' })).toBe(false);
    expect(m({ Image: 'C:\\a.exe' })).toBe(false);
    const sw = rule(`s:\n  Path|fieldref|startswith: Base\ncondition: s`);
    expect(sw({ Path: 'C:\\Users\\bob\\x', Base: 'C:\\Users\\bob' })).toBe(true);
    const ne = rule(`s:\n  Image|fieldref|neq: ParentImage\ncondition: s`);
    expect(ne({ Image: 'a', ParentImage: 'b' })).toBe(true);
    expect(ne({ Image: 'a', ParentImage: 'a' })).toBe(false);
  });
  it('gt / gte / lt / lte on numbers and numeric strings', () => {
    expect(rule(`s:\n  N|gt: 10\ncondition: s`)({ N: 11 })).toBe(true);
    expect(rule(`s:\n  N|gt: 10\ncondition: s`)({ N: '10' })).toBe(false);
    expect(rule(`s:\n  N|gte: 10\ncondition: s`)({ N: '10' })).toBe(true);
    expect(rule(`s:\n  N|lt: 10\ncondition: s`)({ N: 9.5 })).toBe(true);
    expect(rule(`s:\n  N|lte: 10\ncondition: s`)({ N: 'abc' })).toBe(false);
    expect(rejects(`s:\n  N|gt: ten\ncondition: s`)).toBe('SIGMA_MODIFIER_INVALID');
  });
  it('neq: field present and not any of the values', () => {
    const m = rule(`s:\n  Status|neq:\n    - ok\n    - fine\ncondition: s`);
    expect(m({ Status: 'failed' })).toBe(true);
    expect(m({ Status: 'OK' })).toBe(false);
    expect(m({})).toBe(false);
  });
  it('time modifiers extract parts of a date', () => {
    expect(rule(`s:\n  T|hour: 3\ncondition: s`)({ T: '2026-01-02T03:04:05Z' })).toBe(true);
    expect(rule(`s:\n  T|month: 2\ncondition: s`)({ T: '2026-01-02T03:04:05Z' })).toBe(false);
  });
  it('unknown modifiers are rejected with a code', () => {
    expect(rejects(`s:\n  F|containz: x\ncondition: s`)).toBe('SIGMA_MODIFIER_UNKNOWN');
  });
});

describe('conditions', () => {
  const base = `a:\n  A: 1\nb:\n  B: 1\nsel_x:\n  X: 1\nsel_y:\n  Y: 1\n_hidden:\n  H: 1\n`;
  const c = (cond: string) => rule(`${base}condition: ${cond}`);
  it('and / or / not / parentheses with precedence', () => {
    expect(c('a and b')({ A: 1, B: 1 })).toBe(true);
    expect(c('a and b')({ A: 1 })).toBe(false);
    expect(c('a or b')({ B: 1 })).toBe(true);
    expect(c('a and not b')({ A: 1, B: 1 })).toBe(false);
    expect(c('a and not b')({ A: 1 })).toBe(true);
    expect(c('a or b and sel_x')({ A: 1 })).toBe(true); // and binds tighter
    expect(c('(a or b) and sel_x')({ A: 1 })).toBe(false);
    expect(c('not (a or b)')({ X: 1 })).toBe(true);
    expect(c('not not a')({ A: 1 })).toBe(true);
  });
  it('1 of / all of / any of with patterns; them excludes _ identifiers', () => {
    expect(c('1 of sel_*')({ Y: 1 })).toBe(true);
    expect(c('1 of sel_*')({ A: 1 })).toBe(false);
    expect(c('all of sel_*')({ X: 1 })).toBe(false);
    expect(c('all of sel_*')({ X: 1, Y: 1 })).toBe(true);
    expect(c('any of sel_*')({ X: 1 })).toBe(true);
    expect(c('1 of them')({ H: 1 })).toBe(false);
    expect(c('all of them')({ A: 1, B: 1, X: 1, Y: 1 })).toBe(true);
    expect(c('2 of sel_*')({ X: 1 })).toBe(false);
    expect(c('2 of sel_*')({ X: 1, Y: 1 })).toBe(true);
    expect(c('a and not 1 of sel_*')({ A: 1, X: 1 })).toBe(false);
  });
  it('a list of conditions is an OR', () => {
    const m = rule(`${base}condition:\n  - a\n  - b`);
    expect(m({ B: 1 })).toBe(true);
    expect(m({ X: 1 })).toBe(false);
  });
  it('rejects malformed conditions and Sigma 1 aggregations with a code', () => {
    expect(rejects(`${base}condition: a and`)).toBe('SIGMA_CONDITION_INVALID');
    expect(rejects(`${base}condition: (a or b`)).toBe('SIGMA_CONDITION_INVALID');
    expect(rejects(`${base}condition: a and zzz`)).toBe('SIGMA_CONDITION_INVALID');
    expect(rejects(`${base}condition: 1 of nomatch_*`)).toBe('SIGMA_CONDITION_INVALID');
    expect(rejects(`${base}condition: a | count() > 5`)).toBe('SIGMA_CONDITION_UNSUPPORTED');
    expect(rejects(`${base}condition: ${'('.repeat(500)}a${')'.repeat(500)}`)).toBe('SIGMA_CONDITION_INVALID');
  });
});

describe('regex minimum match length (prefilter)', () => {
  it('never exceeds the length of an actual match', async () => {
    const { RE2JS } = await import('re2js');
    const fc = (await import('fast-check')).default;
    const { regexMinLength } = await import('./values.js');
    const patterns = ['a(?:bc)*d', '(?i)ab|c', 'x{2,3}y?', '(?P<n>ab)+c', '[a-c]{3}', '\\d+\\.\\d{1,2}', '^a?$', 'a|', '(?:)b', '\\Qa.b\\E', '(a|bb)(c|)'];
    for (const src of patterns) {
      const re = RE2JS.compile(src);
      const min = regexMinLength(src);
      fc.assert(
        fc.property(fc.string({ maxLength: 8, unit: fc.constantFrom('a', 'b', 'c', 'd', 'x', 'y', '1', '.', 'A') }), (s) => {
          const m = re.matcher(s);
          while (m.find()) expect(m.end() - m.start(), `${src} on '${s}'`).toBeGreaterThanOrEqual(min);
        }),
        { numRuns: 300 },
      );
    }
  });
});
