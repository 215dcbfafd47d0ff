import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReorderBuffer, tieHash } from './reorder.js';

describe('ReorderBuffer', () => {
  it('pops in (time, tie hash, event id, rule id) order whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.string({ maxLength: 3 }), fc.constantFrom('ra', 'rb')), { maxLength: 200 }), (xs) => {
        const b = new ReorderBuffer<number>();
        xs.forEach(([t, id, r], i) => b.push(t, id, r, i));
        const out: [number, number, string, string][] = [];
        while (b.size > 0) {
          expect(b.peekTime()).toBeLessThanOrEqual(Infinity);
          b.pop();
          const [, id, r] = xs[b.outVal as number];
          expect(b.outId).toBe(id);
          out.push([b.outTime, tieHash(id, r), id, r]);
        }
        const sorted = [...out].sort((x, y) => x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0) || (x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0));
        expect(out).toEqual(sorted);
        expect(out).toHaveLength(xs.length);
        expect(b.peekTime()).toBe(Infinity);
      }),
      { numRuns: 300 },
    );
  });
  it('stays ordered through growth, bursts and slot compaction', () => {
    const b = new ReorderBuffer<string>();
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let last = -Infinity;
    let pushed = 0;
    let popped = 0;
    for (let round = 0; round < 4; round++) {
      // a burst of 20 000 entries around a rising clock, then drain most of them
      for (let i = 0; i < 20_000; i++) {
        const t = round * 100_000 + Math.floor(rnd() * 50_000);
        b.push(t, `e${pushed}`, 'r', `e${pushed}`);
        pushed++;
      }
      last = -Infinity;
      const keep = round === 3 ? 0 : 1_000;
      while (b.size > keep) {
        b.pop();
        expect(b.outTime).toBeGreaterThanOrEqual(last);
        expect(b.outVal).toBe(b.outId);
        last = b.outTime;
        popped++;
      }
      // the entries kept are all later than what was popped
      if (b.size > 0) expect(b.peekTime()).toBeGreaterThanOrEqual(last);
      // drain the rest before the next round's earlier times would interleave
      while (b.size > 0) {
        b.pop();
        popped++;
      }
    }
    expect(popped).toBe(pushed);
  });
  it('hashes event and rule ids apart', () => {
    expect(tieHash('ab', 'c')).not.toBe(tieHash('a', 'bc'));
    expect(tieHash('e1', 'r')).toBe(tieHash('e1', 'r'));
  });
});
