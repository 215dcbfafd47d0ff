import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HecParser, parseHecTime } from './parse.js';

const token = { name: 't', disabled: false, indexes: [], defaultIndex: 'main' };
const parser = new HecParser({ tenant: 'default', maxEventBytes: 512, maxFieldBytes: 64 });

describe('HecParser on hostile input', () => {
  it('never throws; every event is either a record or an error with its number', () => {
    const piece = fc.oneof(
      fc.constantFrom('{"event":"x"}', '{"event":{"a":[1,{"b":"}"}]}}', '{"event":', '}', '{', '"', '\\', ' ', '\n', '{"nope":1}', '{"event":""}', '{"event":1,"time":"x"}', '{"event":1,"fields":{"a":{}}}'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const buf = Buffer.from(parts.join(''));
        const r = parser.parseEvents(buf, token, 'o:', 0);
        expect(r.records.length + r.errors.length).toBe(r.total);
        const numbers = [...r.records.map((x) => Number(x.origin.slice(2))), ...r.errors.map((e) => e.event!)].sort((a, b) => a - b);
        expect(numbers).toEqual(Array.from({ length: r.total }, (_, i) => i));
        for (const e of r.errors) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('handles deep nesting without recursion (the scanner counts braces, JSON.parse reports)', () => {
    const deep = '{"event":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const r = new HecParser({ tenant: 'd', maxEventBytes: 1 << 20, maxFieldBytes: 64 }).parseEvents(Buffer.from(deep + '{"event":"ok"}'), token, 'o:', 0);
    expect(r.total).toBe(2);
    expect(r.records.length + r.errors.length).toBe(2);
  });

  it('reads HEC time as epoch seconds (number or numeric string) and refuses the rest', () => {
    expect(parseHecTime(1700000000.123, 0)).toBe(1700000000123);
    expect(parseHecTime('1700000000', 0)).toBe(1700000000000);
    for (const bad of ['2024-01-01', -1, 1e15, 'NaN', {}, '1e9']) expect(() => parseHecTime(bad, 3)).toThrow(expect.objectContaining({ code: 'HEC_BAD_METADATA' }));
  });
});
