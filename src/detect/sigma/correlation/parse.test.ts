import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GarrisonError } from '../../../core/errors.js';
import { loadDocs } from './fixtures/load.js';
import { parseCorrelationRule, parseTimespan } from './parse.js';

function parse(doc: unknown, file = 'x.yml', line = 1) {
  return parseCorrelationRule(doc as Record<string, unknown>, { file, line });
}

describe('parseCorrelationRule', () => {
  it.each([false, true])('reads the chained fixture (literal scalars: %s)', (literal) => {
    const docs = loadDocs('brute_force_chain.yml', literal).filter((d) => 'correlation' in d.doc);
    expect(docs).toHaveLength(2);
    const top = parse(docs[0].doc, 'brute_force_chain.yml', docs[0].line);
    expect(top.problems).toEqual([]);
    expect(top.rule).toMatchObject({
      id: '6a1f0c3e-2b8d-4f57-9e2a-0d4c1b7e9a10',
      hasId: true,
      type: 'temporal_ordered',
      rules: ['logon_failure_burst', 'logon_success'],
      groupBy: ['TargetUserName'],
      timespanMs: 600_000,
      level: 'high',
      generate: false,
      // temporal without condition: all referenced rules must occur
      condition: { ops: { gte: 2 } },
      source: { file: 'brute_force_chain.yml', line: docs[0].line },
    });
    const inner = parse(docs[1].doc, 'brute_force_chain.yml', docs[1].line);
    expect(inner.problems).toEqual([]);
    expect(inner.rule).toMatchObject({ name: 'logon_failure_burst', type: 'event_count', timespanMs: 120_000, condition: { ops: { gte: 5 } } });
    expect(inner.rule?.source.line).toBeGreaterThan(15);
  });

  it('reads aliases', () => {
    const [{ doc }] = loadDocs('aliases_temporal.yml');
    const { rule, problems } = parse(doc);
    expect(problems).toEqual([]);
    expect(rule?.aliases).toEqual({
      internal_ip: { inbound_scan: 'destination.ip', outbound_connection: 'source.ip' },
      remote_ip: { inbound_scan: 'source.ip', outbound_connection: 'destination.ip' },
    });
  });

  it('collects every problem of every document with code, file and line', () => {
    const docs = loadDocs('bad_rules.yml');
    const results = docs.map((d) => parse(d.doc, 'bad_rules.yml', d.line));
    expect(results.every((r) => r.rule === undefined)).toBe(true);
    const codes = results.map((r) => r.problems.map((p) => p.code).sort());
    expect(codes[0]).toEqual([
      'CORRELATION_CONDITION_INVALID', // gte: lots
      'CORRELATION_CONDITION_INVALID', // between
      'CORRELATION_TIMESPAN_INVALID',
      'CORRELATION_TYPE_UNKNOWN',
    ]);
    expect(codes[1]).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(results[1].problems[0].location?.field).toBe('correlation.condition.field');
    expect(codes[2].sort()).toEqual(['CORRELATION_CONDITION_INVALID', 'CORRELATION_RULES_INVALID']);
    for (const r of results)
      for (const p of r.problems) {
        expect(p).toBeInstanceOf(GarrisonError);
        expect(p.location?.file).toBe('bad_rules.yml');
        expect(p.location?.line).toBeGreaterThan(0);
      }
    expect(results[2].problems[0].location?.line).toBeGreaterThan(results[1].problems[0].location?.line ?? 0);
  });

  it('uses lineOf for the line of the offending key', () => {
    const { problems } = parseCorrelationRule(
      { title: 't', correlation: { type: 'event_count', rules: ['a1'], timespan: '5x', condition: { gte: 1 } } },
      { file: 'f.yml', line: 3, lineOf: (p) => (p.join('.') === 'correlation.timespan' ? 9 : undefined) },
    );
    expect(problems.map((p) => [p.code, p.location?.line])).toEqual([['CORRELATION_TIMESPAN_INVALID', 9]]);
  });

  it('accepts every Sigma 2.1 type with its required keys', () => {
    const base = { rules: ['r1'], 'group-by': ['User'], timespan: '1h' };
    for (const [type, condition] of [
      ['event_count', { gte: 100 }],
      ['value_count', { field: 'User', gte: 100 }],
      ['value_sum', { field: 'bytes_sent', gt: 1000000 }],
      ['value_avg', { field: 'BytesOut', gt: 500 }],
      ['value_percentile', { field: 'Image', lte: 1 }],
      ['value_percentile', { field: 'Duration', percentile: 95, gt: 1000 }],
      ['value_median', { field: 'Duration', gt: 10 }],
      ['temporal', undefined],
      ['temporal_ordered', { gte: 1 }],
    ] as const) {
      const { rule, problems } = parse({ title: type, correlation: { ...base, type, ...(condition ? { condition } : {}) } });
      expect(problems, type).toEqual([]);
      expect(rule?.type).toBe(type);
    }
    expect(parse({ title: 'm', correlation: { ...base, type: 'value_median', condition: { field: 'x', gt: 1 } } }).rule?.condition.percentile).toBe(50);
  });

  it('accepts numbers, booleans and lists written as text, and generate in both places', () => {
    const { rule, problems } = parse({
      title: 't',
      generate: 'true',
      correlation: { type: 'event_count', rules: 'single_rule', 'group-by': 'Computer', timespan: '90m', condition: { gt: '100', lte: '2e2' } },
    });
    expect(problems).toEqual([]);
    expect(rule).toMatchObject({ rules: ['single_rule'], groupBy: ['Computer'], timespanMs: 5_400_000, generate: true, condition: { ops: { gt: 100, lte: 200 } } });
    expect(parse({ title: 't', correlation: { type: 'temporal', rules: ['ab', 'cd'], timespan: '1m', generate: true } }).rule?.generate).toBe(true);
  });

  it('rejects what the specification does not allow', () => {
    const bad = (corr: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      parse({ title: 't', ...extra, correlation: { type: 'event_count', rules: ['r1'], timespan: '1h', condition: { gte: 1 }, ...corr } }).problems.map((p) => p.code);
    expect(bad({ type: 'near' })).toEqual(['CORRELATION_TYPE_UNKNOWN']);
    expect(bad({ rules: [] })).toEqual(['CORRELATION_RULES_INVALID']);
    expect(bad({ rules: 'x' })).toEqual(['CORRELATION_RULES_INVALID']);
    expect(bad({ rules: { a: 1 } })).toEqual(['CORRELATION_RULES_INVALID']);
    expect(bad({ timespan: '0m' })).toEqual(['CORRELATION_TIMESPAN_INVALID']);
    expect(bad({ timespan: 60 })).toEqual(['CORRELATION_TIMESPAN_INVALID']);
    expect(bad({ timespan: '1H' })).toEqual(['CORRELATION_TIMESPAN_INVALID']);
    expect(bad({ timespan: '9999d' })).toEqual(['CORRELATION_TIMESPAN_INVALID']);
    expect(bad({ condition: undefined })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: 'a and b' })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: {} })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: { eq: 5, neq: 5 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: { gte: 5, lte: 5, neq: 5 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: { gte: 1, field: 'User' } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ 'group-by': ['a', 'a'] })).toEqual(['CORRELATION_GROUPBY_INVALID']);
    expect(bad({ 'group-by': { a: 1 } })).toEqual(['CORRELATION_GROUPBY_INVALID']);
    expect(bad({ aliases: { ip: { other_rule: 'src' } } })).toEqual(['CORRELATION_ALIAS_INVALID']);
    expect(bad({ aliases: ['x'] })).toEqual(['CORRELATION_ALIAS_INVALID']);
    expect(bad({ generate: 'maybe' })).toEqual(['CORRELATION_INVALID']);
    expect(bad({}, { level: 'severe' })).toEqual(['CORRELATION_INVALID']);
    expect(bad({}, { title: 'x'.repeat(300) })).toEqual(['CORRELATION_INVALID']);
    expect(bad({ type: 'value_sum', condition: { field: ['a', 'b'], gt: 1 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ condition: { gte: 1, percentile: 50 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ type: 'value_percentile', condition: { field: 'x', percentile: 101, gt: 1 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    expect(bad({ 'group-by': ['__proto__'] })).toEqual(['CORRELATION_GROUPBY_INVALID']);
    expect(bad({ aliases: JSON.parse('{"__proto__": {"r1": "x"}}') })).toEqual(['CORRELATION_ALIAS_INVALID']);
    expect(bad({ aliases: { ip: JSON.parse('{"__proto__": "x"}') } })).toEqual(['CORRELATION_ALIAS_INVALID']);
    expect(bad({ type: 'value_count', condition: { field: 'constructor', gte: 1 } })).toEqual(['CORRELATION_CONDITION_INVALID']);
    // a range is fine; an equal bound pair too
    expect(bad({ condition: { gt: 100, lte: 200 } })).toEqual([]);
    expect(bad({ condition: { gte: 5, lte: 5 } })).toEqual([]);
  });

  it('derives a stable id when the document has none', () => {
    const doc = { title: 'no id', correlation: { type: 'temporal', rules: ['ab', 'cd'], timespan: '1m' } };
    const a = parse(doc, 'a.yml', 4).rule;
    expect(a?.hasId).toBe(false);
    expect(a?.id).toBe(parse(doc, 'a.yml', 4).rule?.id);
    expect(a?.id).not.toBe(parse(doc, 'b.yml', 4).rule?.id);
    expect(parse({ ...doc, name: 'my_name' }).rule?.id).toBe('my_name');
  });

  it('never throws on hostile documents', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }), (junk, corr) => {
        const r1 = parseCorrelationRule(junk as Record<string, unknown>, { file: 'j.yml' });
        const r2 = parseCorrelationRule({ title: 'x', correlation: corr } as Record<string, unknown>, { file: 'j.yml' });
        for (const r of [r1, r2]) expect(r.rule !== undefined || r.problems.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.record({ type: fc.constantFrom('event_count', 'value_count', 'temporal', 'bogus', 7), rules: fc.anything(), timespan: fc.anything(), condition: fc.anything(), 'group-by': fc.anything(), aliases: fc.anything() }),
        (corr) => {
          const r = parseCorrelationRule({ title: 'x', correlation: corr }, { file: 'j.yml' });
          expect(r.rule !== undefined || r.problems.length > 0).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parses timespans', () => {
    expect(parseTimespan('30s')).toBe(30_000);
    expect(parseTimespan('5m')).toBe(300_000);
    expect(parseTimespan('1h')).toBe(3_600_000);
    expect(parseTimespan('2d')).toBe(172_800_000);
    expect(parseTimespan('1w')).toBe(604_800_000);
    expect(parseTimespan('1M')).toBeUndefined();
    expect(parseTimespan('-1m')).toBeUndefined();
    expect(parseTimespan('1.5h')).toBeUndefined();
  });
});
