import { afterAll, describe, expect, it } from 'vitest';
import { parseWithPreParsed, HecWorkerPool } from './workers.js';

const token = { name: 't', disabled: false, indexes: [], defaultIndex: 'main' };
const pool = new HecWorkerPool(1, { tenant: 'default', maxEventBytes: 4096, maxFieldBytes: 256 });
afterAll(() => pool.close());

describe('HEC worker pool', () => {
  it('parses and normalizes in a worker; the pipeline parse hook returns the worker results', async () => {
    const body = Buffer.from('{"event":{"a":1},"host":"h1"}{"event":{"a":2}}{"nope":1}');
    const r = await pool.run('event', body, token, {}, 'hec:t:0:', 1_700_000_000_000);
    expect(r.total).toBe(3);
    expect(r.errors).toMatchObject([{ event: 2, code: 'HEC_EVENT_REQUIRED', hecCode: 12 }]);
    const parse = parseWithPreParsed(() => {
      throw new Error('must not be called for pre-parsed records');
    });
    const evs = r.records.map((rec) => parse(rec));
    expect(evs.every((e) => e.ok)).toBe(true);
    expect(evs.map((e) => (e.ok ? [e.event.fields.a, e.event.entities.host, e.event.source.input] : null))).toEqual([
      [1, 'h1', 'hec'],
      [2, undefined, 'hec'],
    ]);
  });

  it('fails only the in-flight request when a worker dies, then replaces it', async () => {
    const big = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `{"event":{"n":${i}}}`).join(''));
    const inflight = pool.run('event', big, token, {}, 'hec:t:1:', Date.now());
    await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
    await expect(inflight).rejects.toMatchObject({ code: 'INTERNAL' });
    const again = await pool.run('event', Buffer.from('{"event":{"ok":1}}'), token, {}, 'hec:t:2:', Date.now());
    expect(again.records).toHaveLength(1);
  });
});
