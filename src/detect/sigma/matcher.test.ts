import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AhoCorasick, AnchoredTrie, SkipScanner } from './ahocorasick.js';
import { compileRule } from './compile.js';
import { loadRulePaths, loadText, type LoadedSet } from './loader.js';
import { SigmaMatcher } from './matcher.js';
import { regexLiterals } from './values.js';
import { EventView } from './view.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures', 'rules');
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

describe('log-source routing and field mapping (processing pipeline)', () => {
  const set = loadRulePaths([path.join(fixtures, 'good.yml')]);
  const m = new SigmaMatcher(set);
  it('matches Sysmon EventID 1 and Security 4688 (Image -> NewProcessName)', () => {
    const sysmon = { Channel: SYSMON, EventID: 1, Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' };
    expect(m.match({ fields: sysmon, source: { format: 'winlog' } }).map((d) => d.route)).toEqual(['sysmon_process_creation']);
    const sec = { Channel: 'Security', EventID: 4688, NewProcessName: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' };
    const d = m.match({ fields: sec, source: { format: 'winlog' } });
    expect(d.map((x) => x.route)).toEqual(['security_process_creation']);
    expect(d[0].fields).toMatchObject({ NewProcessName: sec.NewProcessName, CommandLine: 'whoami /all' });
    expect(d[0].get('Image')).toBe(sec.NewProcessName);
  });
  it('does not apply process_creation rules to other event ids or channels', () => {
    const f = { Image: 'C:\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' };
    expect(m.match({ fields: { ...f, Channel: SYSMON, EventID: 3 }, source: { format: 'winlog' } })).toHaveLength(0);
    expect(m.match({ fields: { ...f, Channel: 'Application', EventID: 1 }, source: { format: 'winlog' } })).toHaveLength(0);
  });
  it('maps ECS process telemetry from EDR JSON', () => {
    const fields = { event: { category: 'process', type: 'start' }, host: { os: { type: 'windows' } }, process: { executable: 'C:\\Windows\\System32\\whoami.exe', command_line: 'whoami /all' } };
    expect(m.match({ fields, source: { format: 'json' } }).map((d) => d.route)).toEqual(['edr_process_creation_windows']);
  });
});

describe('configuration: disabled rules, exceptions, meta filters', () => {
  const ev = { fields: { Channel: SYSMON, EventID: 1, Image: 'C:\\x\\whoami.exe', CommandLine: 'whoami /all', User: 'CORP\\adm_bob' }, source: { format: 'winlog' as const } };
  it('a rule can be disabled by id', () => {
    const set = loadRulePaths([path.join(fixtures, 'good.yml')]);
    const m = new SigmaMatcher(set, { config: { disabled: ['11111111-1111-4111-8111-111111111111'] } });
    expect(m.match(ev)).toHaveLength(0);
    expect(m.skippedRules[0].reason).toBe('disabled');
  });
  it('exceptions from config suppress matching events without editing the rule', () => {
    const set = loadRulePaths([path.join(fixtures, 'good.yml')]);
    const exceptions = [{ rules: ['11111111-1111-4111-8111-111111111111'], detection: { adm: { 'User|startswith': 'CORP\\adm_' } }, condition: 'adm' }];
    const m = new SigmaMatcher(set, { config: { exceptions } });
    expect(m.match(ev)).toHaveLength(0);
    expect(m.match({ ...ev, fields: { ...ev.fields, User: 'CORP\\eve' } })).toHaveLength(1);
  });
  it('Sigma meta filters add their condition to the rules they name', () => {
    const set = loadRulePaths([path.join(fixtures, 'good.yml'), path.join(fixtures, 'filter.yml')]);
    const m = new SigmaMatcher(set);
    expect(m.match(ev)).toHaveLength(0);
    expect(m.match({ ...ev, fields: { ...ev.fields, User: 'CORP\\eve' } })).toHaveLength(1);
  });
  it('rejects invalid configuration with SIGMA_CONFIG_INVALID', () => {
    expect(() => new SigmaMatcher({ rules: [], filters: [] }, { config: { minLevel: 'urgent' } as never })).toThrow(/minLevel/);
  });
});

describe('Aho-Corasick and anchored tries', () => {
  it('finds exactly the occurrences a naive search finds (case-insensitive)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 5, unit: fc.constantFrom('a', 'b', 'c', 'é', '\\') }), { minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60, unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'É', 'é', '\\', 'x') }), (pats, text) => {
        const lower = pats.map((p) => p.toLowerCase());
        const ac = new AhoCorasick(lower);
        const got = new Set<number>();
        ac.search(text, (id) => got.add(id));
        const t = text.toLowerCase();
        const want = new Set(lower.map((p, i) => (t.includes(p) ? i : -1)).filter((i) => i >= 0));
        expect([...got].sort()).toEqual([...want].sort());
        expect(ac.contains(text)).toBe(want.size > 0);
      }),
      { numRuns: 300 },
    );
  });
  it('the skip scanner finds the same literals as a naive search', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 4, maxLength: 8, unit: fc.constantFrom('a', 'b', 'c', ':', 'é') }), { minLength: 1, maxLength: 10 }), fc.string({ maxLength: 80, unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', ':', 'É', 'é', 'x') }), (pats, text) => {
        const lower = pats.map((p) => p.toLowerCase());
        const sk = new SkipScanner(lower);
        const got = new Set<number>();
        sk.search(text, (id) => got.add(id));
        const t = text.toLowerCase();
        const want = new Set(lower.map((p, i) => (t.includes(p) ? i : -1)).filter((i) => i >= 0));
        expect([...got].sort()).toEqual([...want].sort());
      }),
      { numRuns: 500 },
    );
  });
  it('anchored tries find prefixes, suffixes and whole values', () => {
    const pre = new AnchoredTrie([{ text: 'c:\\win', exact: false }, { text: 'cmd', exact: true }], false);
    const hits: number[] = [];
    pre.walk('C:\\Windows', (i) => hits.push(i));
    pre.walk('CMD', (i) => hits.push(i));
    pre.walk('cmd.exe', (i) => hits.push(i));
    expect(hits).toEqual([0, 1]);
    const suf = new AnchoredTrie([{ text: '\\cmd.exe', exact: false }], true);
    expect(suf.any('C:\\Windows\\CMD.EXE')).toBe(true);
    expect(suf.any('C:\\Windows\\cmd.exe2')).toBe(false);
  });
  it('extracts required literals from regular expressions', () => {
    expect(regexLiterals('cmd.{0,5}(?:/c|/r).+powershell')).toEqual(['powershell']);
    expect(regexLiterals('ab?cde+f')).toEqual(['cde']);
    expect(regexLiterals('abc|\\d+')).toBeNull();
    expect(regexLiterals('(?i)foo\\.exe|barbaz')).toEqual(['foo.exe', 'barbaz']);
  });
});

describe('candidate index', () => {
  // The index must never hide a match: the indexed matcher agrees with evaluating every rule.
  const rules = `
title: a
id: a
logsource: { product: test }
detection:
  s1: { F|contains: [abc, xyz] }
  s2: { G|endswith: '\\tool.exe' }
  s3: { F|re: 'q[0-9]+w' }
  condition: s1 or (s2 and not s3)
---
title: b
id: b
logsource: { product: test }
detection:
  s: { F|startswith: ab, G: 'c*d' }
  condition: s
---
title: c
id: c
logsource: { product: test }
detection:
  k: [ 'zz?y' ]
  condition: k
---
title: d
id: d
logsource: { product: test }
detection:
  s: { F|windash|contains: ' -x' }
  f: { G: null }
  condition: s and f
---
title: e
id: e
logsource: { product: test }
detection:
  s1:
    - { F|contains|all: [ab, cd], G|startswith: x }
    - { G|endswith: [.exe, zz], F: 'q*' }
  s2: { G|contains: 'l.e' }
  condition: s1 and (s2 or 1 of s*)
---
title: f
id: f
logsource: { product: test }
detection:
  a: { F|contains: ab }
  b: { G|contains: ab }
  c: { F|endswith: d }
  condition: (a and b) or (b and c)
`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
  loadText(rules, 'inline.yml', set);
  const m = new SigmaMatcher(set, { pipelines: [] });
  const brute = set.rules.map((r) => ({ id: r.id, c: compileRule(r, { mapField: (n) => [n] }) }));
  it('agrees with brute-force evaluation on random events', () => {
    const unit = fc.constantFrom('a', 'b', 'c', 'd', 'x', 'y', 'z', 'q', '1', 'w', '-', '/', ' ', '\\', 'T', 'o', 'l', '.', 'e', 'E', 'X');
    fc.assert(
      fc.property(fc.record({ F: fc.option(fc.string({ maxLength: 12, unit }), { nil: undefined }), G: fc.option(fc.oneof(fc.string({ maxLength: 12, unit }), fc.constant('\\TOOL.exe')), { nil: undefined }) }), (f) => {
        const fields: Record<string, unknown> = {};
        if (f.F !== undefined) fields.F = f.F;
        if (f.G !== undefined) fields.G = f.G;
        const got = m.match({ fields, source: { format: 'json', product: 'test' } }).map((d) => d.rule.id).sort();
        const want = brute.filter((b) => b.c.test(new EventView(fields))).map((b) => b.id).sort();
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('skip scanner blocks and case folding', () => {
  it('two-character blocks and one-character blocks agree with a naive search', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 7, unit: fc.constantFrom('a', 'b', 'k', ':', 'é', '-') }), { minLength: 1, maxLength: 8 }), fc.string({ maxLength: 70, unit: fc.constantFrom('a', 'B', 'b', 'K', 'k', ':', 'É', 'é', '-', 'x') }), (pats, text) => {
        const lower = pats.map((p) => p.toLowerCase());
        const sk = new SkipScanner(lower);
        const got = new Set<number>();
        sk.search(text, (id) => got.add(id));
        const t = text.toLowerCase();
        const want = new Set(lower.map((p, i) => (t.includes(p) ? i : -1)).filter((i) => i >= 0));
        expect([...got].sort()).toEqual([...want].sort());
      }),
      { numRuns: 500 },
    );
  });
  it('a non-ASCII character that folds to ASCII is still checked (Kelvin sign)', () => {
    const sk = new SkipScanner(['kerberos']);
    const ac = new AhoCorasick(['kerberos']);
    const hits: number[] = [];
    sk.search('xx \u212Aerberos yy', (i) => hits.push(i));
    ac.search('xx \u212Aerberos yy', (i) => hits.push(i));
    expect(hits).toEqual([0, 0]);
  });
});

describe('plans (buckets merged per kind of event) and value caches', () => {
  const rules = `
title: any windows keyword
id: kw-any
logsource: { product: windows }
detection:
  k: [ 'mimikatz', 'sekurlsa::' ]
  condition: k
---
title: process keyword
id: kw-proc
logsource: { product: windows, category: process_creation }
detection:
  k: [ 'lsadump::' ]
  condition: k
---
title: process field
id: f-proc
logsource: { product: windows, category: process_creation }
detection:
  s: { CommandLine|contains: 'dump', Image|endswith: '\\tool.exe' }
  condition: s
---
title: sysmon service
id: f-svc
logsource: { product: windows, service: sysmon }
detection:
  s: { User|startswith: 'corp\\adm' }
  condition: s
`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
  loadText(rules, 'inline.yml', set);
  const cached = new SigmaMatcher(set);
  const plain = new SigmaMatcher(set, { valueCache: false });
  const pick = <T>(xs: T[]) => fc.constantFrom(...xs);
  const event = fc.record({
    EventID: pick([1, 3, '1']),
    CommandLine: pick(['x dump y', 'mimikatz sekurlsa::logonpasswords', 'LSADUMP::sam', 'plain', 'DUMP']),
    Image: pick(['C:\\t\\TOOL.exe', 'C:\\t\\other.exe']),
    User: pick(['CORP\\adm_bob', 'corp\\alice', 'x']),
    Extra: pick(['-', 'has Mimikatz inside', 12345678]),
  });
  const expected = (f: Record<string, unknown>) => {
    const all = Object.values(f).map((x) => String(x).toLowerCase());
    const proc = String(f.EventID) === '1';
    const out: string[] = [];
    if (all.some((x) => x.includes('mimikatz') || x.includes('sekurlsa::'))) out.push('kw-any');
    if (proc && all.some((x) => x.includes('lsadump::'))) out.push('kw-proc');
    if (proc && String(f.CommandLine).toLowerCase().includes('dump') && String(f.Image).toLowerCase().endsWith('\\tool.exe')) out.push('f-proc');
    if (String(f.User).toLowerCase().startsWith('corp\\adm')) out.push('f-svc');
    return out.sort();
  };
  it('match exactly what the rules say, with and without the value cache, over repeated values', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (evs) => {
        for (const f of evs) {
          const ev = { fields: { Channel: SYSMON, ...f } as Record<string, unknown>, source: { format: 'winlog' as const } };
          const a = cached.match(ev).map((d) => d.rule.id).sort();
          const b = plain.match(ev).map((d) => d.rule.id).sort();
          expect(a).toEqual(expected(f));
          expect(b).toEqual(a);
        }
      }),
      { numRuns: 200 },
    );
  });
  it('clearCaches() changes no result', () => {
    const ev = { fields: { Channel: SYSMON, EventID: 1, CommandLine: 'x dump', Image: 'C:\\tool.exe', User: 'CORP\\adm1' }, source: { format: 'winlog' as const } };
    const before = cached.match(ev).map((d) => d.rule.id).sort();
    cached.clearCaches();
    expect(cached.match(ev).map((d) => d.rule.id).sort()).toEqual(before);
    expect(before).toEqual(['f-proc', 'f-svc']);
  });
});

describe('value cache bounds (hostile input)', () => {
  const rules = `
title: f contains
id: fc
logsource: { product: test }
detection:
  s: { F|contains: 'needle' }
  condition: s
`;
  const set: LoadedSet = { rules: [], filters: [], correlations: [], problems: [], files: 1 };
  loadText(rules, 'inline.yml', set);
  it('distinct values switch the cache off and never exceed the memory budget; results stay exact', () => {
    const m = new SigmaMatcher(set, { pipelines: [] });
    const internals = m as unknown as { cacheBudget: { used: number; max: number }; buckets: Map<string, { fieldIndexes: { cache?: { on: boolean; map: Map<string, unknown> } }[] }> };
    let found = 0;
    for (let i = 0; i < 6000; i++) {
      const v = `${i.toString(36)}-${'y'.repeat(1500)}${i % 97 === 0 ? 'NEEDLE' : ''}`;
      found += m.match({ fields: { F: v }, source: { format: 'json', product: 'test' } }).length;
      expect(internals.cacheBudget.used).toBeLessThanOrEqual(internals.cacheBudget.max);
    }
    expect(found).toBe(Math.ceil(6000 / 97));
    const caches = [...internals.buckets.values()].flatMap((b) => b.fieldIndexes.map((ix) => ix.cache)).filter((c) => c !== undefined);
    expect(caches.length).toBeGreaterThan(0);
    expect(caches.every((c) => !c.on && c.map.size === 0)).toBe(true);
  });
  it('repeated values are served from the cache with the same results', () => {
    const m = new SigmaMatcher(set, { pipelines: [] });
    for (let i = 0; i < 5000; i++) {
      const v = i % 3 === 0 ? 'a needle here' : i % 3 === 1 ? 'nothing' : 'NeEdLe';
      expect(m.match({ fields: { F: v }, source: { format: 'json', product: 'test' } }).length).toBe(i % 3 === 1 ? 0 : 1);
    }
    const internals = m as unknown as { buckets: Map<string, { fieldIndexes: { cache?: { on: boolean; map: Map<string, unknown> } }[] }> };
    const caches = [...internals.buckets.values()].flatMap((b) => b.fieldIndexes.map((ix) => ix.cache)).filter((c) => c !== undefined);
    expect(caches.some((c) => c.on && c.map.size === 3)).toBe(true);
  });
});
