import { afterAll, describe, expect, it } from 'vitest';
import { FileNormalizerPool, MAX_WORKER_BATCH_CHARS } from './workers.js';
import { preParsed } from '../hec/workers.js';
import { parseRecord } from '../../normalize/registry.js';
import { preEncoded } from '../../store/sqlite/store.js';
import type { RawRecord } from '../../normalize/types.js';

const pool = new FileNormalizerPool(1);
afterAll(() => pool.close());

const rec = (data: string, n: number, extra: Partial<RawRecord> = {}): RawRecord => ({ data, origin: `file:/x.ndjson:${n}`, input: 'file:/x.ndjson', tenant: 't1', receivedAt: 1_700_000_000_000, format: 'json', meta: { fallbackTime: 1 }, ...extra });

describe('FileNormalizerPool', () => {
  it('returns the same events and rejections as inline normalization, with the store strings pre-encoded', async () => {
    const recs = [
      rec(JSON.stringify({ EventID: 1, Channel: 'Microsoft-Windows-Sysmon/Operational', Computer: 'WS1.corp', Image: 'C:\\x.exe', CommandLine: 'x /c', User: 'CORP\\bob', UtcTime: '2024-01-01 00:00:00.000' }), 1),
      rec('{"broken":', 2),
      rec('<13>Jan  1 00:00:00 host prog: hello', 3, { format: 'auto', tenant: 't2' }),
      rec(JSON.stringify({ a: 1, nested: { b: [1, 2] } }), 4),
    ];
    await pool.normalize(recs);
    for (const r of recs) {
      const got = preParsed.get(r)!;
      const want = parseRecord(r);
      expect(got.ok).toBe(want.ok);
      if (got.ok && want.ok) {
        const pre = preEncoded.get(got.event)!;
        expect(pre.env).toBe(JSON.stringify({ source: want.event.source, class: want.event.class, entities: want.event.entities }));
        expect(pre.host).toBe(want.event.entities.host);
        // Lazy properties materialise into plain, enumerable, writable values.
        expect({ ...got.event }).toEqual(want.event);
        expect(JSON.parse(JSON.stringify(got.event))).toEqual(JSON.parse(JSON.stringify(want.event)));
        got.event.fields = { replaced: true };
        expect(got.event.fields).toEqual({ replaced: true });
      } else if (!got.ok && !want.ok) {
        expect(got.error.code).toBe(want.error.code);
        expect(got.error.message).toBe(want.error.message);
      }
    }
  });

  it('sends large batches in parts and leaves a record over MAX_WORKER_BATCH_CHARS to inline normalization', async () => {
    const big = rec(JSON.stringify({ x: 'y'.repeat(MAX_WORKER_BATCH_CHARS) }), 1);
    const half = Math.floor(MAX_WORKER_BATCH_CHARS / 2);
    const mid = [2, 3, 4].map((n) => rec(JSON.stringify({ n, pad: 'z'.repeat(half) }), n));
    await pool.normalize([mid[0], big, mid[1], mid[2]]);
    expect(preParsed.get(big)).toBeUndefined();
    for (const r of mid) expect(preParsed.get(r)).toMatchObject({ ok: true, event: { fields: { n: JSON.parse(r.data as string).n } } });
  });
});

describe('GARRISON_INGEST_WORKERS', () => {
  it('is validated: 0–8, unset means the default', async () => {
    const { workersFromEnv } = await import('./run.js');
    expect(workersFromEnv({})).toBeUndefined();
    expect(workersFromEnv({ GARRISON_INGEST_WORKERS: '2' })).toBe(2);
    expect(() => workersFromEnv({ GARRISON_INGEST_WORKERS: '9' })).toThrow(/0 to 8/);
    expect(() => workersFromEnv({ GARRISON_INGEST_WORKERS: 'x' })).toThrow(/0 to 8/);
  });
});
