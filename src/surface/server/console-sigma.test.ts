/** The console's hunt-query → Sigma draft conversion (console/src/sigma.ts): valid YAML, right shape, inert values. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseQuery, sigmaDraft, yq } from '../../../console/src/sigma.js';

const draft = (q: string) => parse(sigmaDraft(q, { title: 't', author: 'a', id: '11111111-1111-4111-8111-111111111111', date: new Date(Date.UTC(2026, 0, 2)) })) as Record<string, any>;

describe('sigma draft from a hunt query', () => {
  it('maps fields, wildcards and negation to selections, modifiers and filters', () => {
    const d = draft('product:windows process.image:*\\powershell.exe AND CommandLine:*-enc* AND NOT parent.image:*\\explorer.exe');
    expect(d.logsource).toEqual({ product: 'windows' });
    expect(d.detection.selection).toEqual({ 'Image|endswith': '\\powershell.exe', 'CommandLine|contains': '-enc' });
    expect(Object.values(d.detection).filter((v) => typeof v === 'object')).toContainEqual({ 'ParentImage|endswith': '\\explorer.exe' });
    expect(d.detection.condition).toMatch(/^selection and not filter_\d+$/);
    expect(d.date).toBe('2026-01-02');
    expect(d.status).toBe('experimental');
  });

  it('turns OR into one selection per branch and comparisons into gt/gte modifiers; time bounds become notes', () => {
    const text = sigmaDraft('(EventID:4625 AND LogonType>=3) OR user:bob AND time>=-24h');
    const d = parse(text);
    expect(d.detection.selection_1).toEqual({ EventID: '4625', 'LogonType|gte': 3 });
    expect(d.detection.selection_2).toEqual({ User: 'bob' });
    expect(d.detection.condition).toBe('selection_1 or selection_2');
    expect(text).toContain('# note: time bound time>=-24h left out');
  });

  it('keeps attacker-looking values as plain quoted strings (no YAML tags, anchors or line breaks)', () => {
    const nasty = "x' !!js/function 'f' &a *a\ncondition: all";
    const d = draft(`CommandLine:"${nasty.replace(/"/g, '')}"`);
    expect(d.detection.selection.CommandLine).toBe(nasty.replace(/\n/g, ' '));
    expect(d.detection.condition).toBe('selection');
    expect(yq("it's")).toBe("'it''s'");
  });

  it('reports a query it cannot parse', () => {
    expect(() => sigmaDraft('(host:a')).toThrow(/missing '\)'/);
    expect(parseQuery('a b')).toEqual({ t: 'and', items: [{ t: 'term', value: 'a' }, { t: 'term', value: 'b' }] });
  });
});
